//! `/scenarios/{name}`: a scenario's definition (readable and raw), its plan as a
//! timeline (a template's parameter form and rendered preview instead), its recent
//! executions, and Run / Schedule / Edit / Duplicate (Run, Schedule and Duplicate
//! for operators and admins; a viewer's "Open in editor" validates but cannot save).

use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::{use_navigate, use_params_map};

use super::executions::ExecutionTable;
use crate::api::{auth::Role, ui::ScenarioView};
use crate::components::{
    format_ms, raw_text, set_not_found_status, timeline_view, DiagnosticList, ErrorPanel, Loading,
    RunDialog, ScheduleDialog, TemplateForm,
};
use crate::scenario::plan::{Plan, PlannedAction};
use crate::server_fns::{duplicate_scenario, get_catalog, get_scenario, server_resource};

/// The scenario page.
#[component]
pub fn ScenarioPage() -> impl IntoView {
    let params = use_params_map();
    let name = move || params.read().get("name").unwrap_or_default();
    let scenario = server_resource(name, get_scenario);
    view! {
        <Suspense fallback=Loading>
            {move || Suspend::new(async move {
                match scenario.await {
                    Ok(view) => view! { <ScenarioDetail scenario=view /> }.into_any(),
                    Err(error) => {
                        set_not_found_status(&error);
                        view! {
                            <Title text="Scenario not found" />
                            <h1>"Scenario"</h1>
                            <ErrorPanel error />
                            <p><a href="/scenarios">"Back to the library"</a></p>
                        }.into_any()
                    }
                }
            })}
        </Suspense>
    }
}

#[component]
fn ScenarioDetail(scenario: ScenarioView) -> impl IntoView {
    let ScenarioView {
        name,
        kind,
        source,
        category,
        description,
        tags,
        version,
        definition,
        plan,
        diagnostics,
        recent,
    } = scenario;
    let is_template = kind.eq_ignore_ascii_case("template");
    let custom = source == "custom";
    let operator = crate::me::can(Role::Operator);
    let runnable = plan.is_some() && !is_template && operator;
    // What the template form's values render to (its Run… and Save as scenario… take it).
    let outcome = RwSignal::new(Err("Fill in the template's parameters first.".to_owned()));
    let export = view! { <super::scenario_export::ExportActions name=name.clone() kind=kind.clone() custom version /> };
    let length = plan
        .as_ref()
        .map(|p| format_ms(p.total_ms.as_millis() as u64));
    view! {
        <Title text=raw_text(name.clone()) />
        <p class="breadcrumbs"><a href="/scenarios">"Scenarios"</a>" / "{name.clone()}</p>
        <div class="page-head">
            <div>
                <h1 id="scenario-name">{name.clone()}</h1>
                <p class="card-meta">
                    <span class="tag">{kind.to_lowercase()}</span>
                    <span class="tag">{if custom { format!("custom v{}", version.unwrap_or(1)) } else { "library".to_owned() }}</span>
                    {category.map(|c| view! { <span class="tag">{c}</span> })}
                    {tags.into_iter().map(|t| view! { <span class="tag tag-quiet">"#"{t}</span> }).collect_view()}
                    {length.map(|l| view! { <span class="tag" id="scenario-length">{l}</span> })}
                </p>
                <p>{description.unwrap_or_default()}</p>
            </div>
            <div class="page-actions">
                {runnable.then(|| view! { <RunDialog scenario=name.clone() custom /> })}
                {runnable.then(|| view! { <ScheduleDialog scenario=name.clone() custom /> })}
                {(is_template && operator).then(|| view! { <super::template_actions::TemplateActions template=name.clone() outcome /> })}
                {(is_template && operator).then(|| {
                    // Schedules what the parameter form's values render to, as "Run…" runs it.
                    let source = Signal::derive(move || {
                        outcome.get().map(|rendered| crate::api::ExecuteRequest {
                            yaml: Some(rendered.yaml()),
                            ..crate::api::ExecuteRequest::default()
                        })
                    });
                    view! { <ScheduleDialog scenario=name.clone() source /> }
                })}
                <a class="button" id="edit-link" href=format!("/scenarios/{name}/edit")>{if operator { "Edit" } else { "Open in editor" }}</a>
                {operator.then(|| view! { <Duplicate name=name.clone() template=is_template /> })}
                {export}
            </div>
        </div>
        {(!diagnostics.is_empty()).then(|| view! {
            <section aria-labelledby="diag-title">
                <h2 id="diag-title">"Validation"</h2>
                <DiagnosticList diagnostics />
            </section>
        })}
        {match plan {
            Some(plan) => view! { <PlanSection plan /> }.into_any(),
            None if is_template => view! {
                <p class="panel">"A template has no plan until it is rendered with its parameters: fill them in below to see the scenario it gives."</p>
                <TemplatePreview definition=definition.clone() outcome />
            }.into_any(),
            None => view! { <p class="panel panel-error" role="alert">"This scenario does not validate, so it has no plan. See the diagnostics above."</p> }.into_any(),
        }}
        <section aria-labelledby="yaml-title">
            <h2 id="yaml-title">"Raw YAML"</h2>
            <details id="raw-yaml">
                <summary>"Show the definition as written"</summary>
                <pre class="code"><code>{definition}</code></pre>
            </details>
        </section>
        <section aria-labelledby="recent-title">
            <h2 id="recent-title">"Recent executions"</h2>
            <ExecutionTable rows=recent />
        </section>
    }
}

/// The timeline and the readable, phase-by-phase definition.
#[component]
fn PlanSection(plan: Plan) -> impl IntoView {
    let timeline = timeline_view(&plan, None, 0);
    let criteria = plan.success_criteria.clone();
    let rollback = plan.rollback.clone();
    view! {
        <section aria-labelledby="plan-title">
            <h2 id="plan-title">"Plan"</h2>
            {timeline}
        </section>
        <section aria-labelledby="phases-title">
            <h2 id="phases-title">"Phases"</h2>
            <ol class="phase-list" id="phase-list">
                {plan.phases.into_iter().map(|phase| view! {
                    <li class="phase-item">
                        <h3>
                            {phase.name.clone()}
                            <span class="muted">
                                {format!(" · {} from {} to {}", format_ms(phase.duration_ms.as_millis() as u64), format_ms(phase.start_ms.as_millis() as u64), format_ms(phase.end_ms.as_millis() as u64))}
                            </span>
                        </h3>
                        {phase.description.map(|d| view! { <p>{d}</p> })}
                        <ActionList title="Actions" actions=phase.actions />
                        <ActionList title="Parallel actions" actions=phase.parallel_actions />
                        {(!phase.assertions.is_empty()).then(|| view! {
                            <h4>"Assertions"</h4>
                            <ul class="step-list">
                                {phase.assertions.into_iter().map(|a| view! {
                                    <li>
                                        <code>{a.assertion_type}</code>" expects "<code>{a.expect}</code>
                                        {a.service.map(|s| view! { " on "<code>{s}</code> })}
                                        {format!(" by {}", format_ms(a.deadline_ms.as_millis() as u64))}
                                        {a.clamped.then(|| view! { <span class="tag tag-warn">"within clamped to the phase's end"</span> })}
                                        {(!a.parameters.is_empty()).then(|| view! { <code class="params">{serde_json::to_string(&a.parameters).unwrap_or_default()}</code> })}
                                    </li>
                                }).collect_view()}
                            </ul>
                        })}
                    </li>
                }).collect_view()}
            </ol>
            {(!rollback.actions.is_empty()).then(|| view! {
                <h3>"Rollback"{if rollback.on_failure { " (also on failure)" } else { "" }}</h3>
                <ul class="step-list">
                    {rollback.actions.into_iter().map(|a| view! {
                        <li><code>{format!("{}.{}", a.service, a.action)}</code>
                        {(!a.parameters.is_empty()).then(|| view! { <code class="params">{serde_json::to_string(&a.parameters).unwrap_or_default()}</code> })}</li>
                    }).collect_view()}
                </ul>
            })}
            {(!criteria.is_empty()).then(|| view! {
                <h3>"Success criteria"</h3>
                <ul class="step-list">{criteria.into_iter().map(|c| view! { <li><code>{c.as_str()}</code></li> }).collect_view()}</ul>
            })}
        </section>
    }
}

#[component]
fn ActionList(title: &'static str, actions: Vec<PlannedAction>) -> impl IntoView {
    (!actions.is_empty()).then(|| {
        view! {
            <h4>{title}</h4>
            <ul class="step-list">
                {actions.into_iter().map(|a| view! {
                    <li>
                        <span class="muted">{format!("at {} ", format_ms(a.at_ms.as_millis() as u64))}</span>
                        <code>{format!("{}.{}", a.service, a.action)}</code>
                        {(!a.parameters.is_empty()).then(|| view! { <code class="params">{serde_json::to_string(&a.parameters).unwrap_or_default()}</code> })}
                    </li>
                }).collect_view()}
            </ul>
        }
    })
}

/// "Duplicate…": asks for a new name, saves a copy under it, opens its editor. On
/// a template it copies the template itself ("Save as scenario…" keeps the values).
#[component]
fn Duplicate(name: String, template: bool) -> impl IntoView {
    let open = RwSignal::new(false);
    let new_name = RwSignal::new(format!("{name}-copy"));
    let duplicate = Action::new(move |(source, target): &(String, String)| {
        let (source, target) = (source.clone(), target.clone());
        async move { duplicate_scenario(source, target).await }
    });
    let navigate = use_navigate();
    Effect::new(move |_| {
        if let Some(Ok(saved)) = duplicate.value().get() {
            navigate(
                &format!("/scenarios/{}/edit", saved.scenario_id),
                Default::default(),
            );
        }
    });
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        duplicate.dispatch((name.clone(), new_name.get_untracked().trim().to_owned()));
    };
    view! {
        <button type="button" class="button" id="duplicate-button" aria-expanded=move || open.get().to_string()
            aria-controls="duplicate-form" on:click=move |_| open.update(|o| *o = !*o)>
            {if template { "Duplicate template…" } else { "Duplicate…" }}
        </button>
        <Show when=move || open.get()>
            <form class="inline-form" id="duplicate-form" on:submit=submit.clone()>
                <label for="duplicate-name">"Name of the copy"</label>
                <input id="duplicate-name" type="text" required pattern="[A-Za-z0-9._\\-]+"
                    title="letters, digits, '-', '_' or '.'" autofocus
                    prop:value=move || new_name.get() on:input:target=move |ev| new_name.set(ev.target().value()) />
                <button type="submit" class="button button-primary" id="duplicate-start" disabled=move || duplicate.pending().get()>
                    {move || if duplicate.pending().get() { "Copying…" } else { "Save the copy" }}
                </button>
                {move || match duplicate.value().get() {
                    Some(Err(error)) => Some(view! { <p class="form-error" role="alert" id="duplicate-error">{error.message}</p> }),
                    _ => None,
                }}
            </form>
        </Show>
    }
}

/// A template's parameter form and rendered preview (the catalog comes from the
/// server; rendering and validation run in the browser).
#[component]
fn TemplatePreview(
    definition: String,
    outcome: RwSignal<crate::components::template_form::FormOutcome>,
) -> impl IntoView {
    let catalog = server_resource(|| (), |_| get_catalog());
    let text = Signal::stored(definition);
    view! {
        <Suspense fallback=Loading>
            {move || Suspend::new(async move {
                match catalog.await {
                    Ok(catalog) => view! { <TemplateForm text catalog outcome /> }.into_any(),
                    Err(error) => view! { <ErrorPanel error /> }.into_any(),
                }
            })}
        </Suspense>
    }
}
