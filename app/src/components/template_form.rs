//! A template's parameters as a form, generated from their typed declarations
//! (type, default, min/max, allowed values), and the scenario they render to,
//! previewed as it changes: rendering and validation run in the browser with
//! the server's code (`scenario::template::render`, `scenario::validate`).

use std::collections::BTreeMap;

use leptos::prelude::*;
use serde_json::Value;

use super::{timeline_view, DiagnosticList};
use crate::scenario::{
    catalog::{Catalog, ParamSpec, ParamType},
    diagnostic::Diagnostic,
    document::{Node, NodeValue},
    parse::parse_scenario,
    plan::Plan,
    structure::read_declarations,
    template::{render, ParameterValues},
    validate::{validate, ValidateOptions},
};

/// What the form's values render to.
#[derive(Debug, Clone, PartialEq)]
struct Preview {
    /// The rendered document, when it rendered.
    root: Option<Node>,
    /// The rendered scenario as YAML, when it rendered.
    yaml: Option<String>,
    /// Its plan, when it also validates.
    plan: Option<Plan>,
    /// Rendering or validation problems.
    diagnostics: Vec<Diagnostic>,
}

/// A scenario the form's values rendered to and that validates: what "Run…" and
/// "Save as scenario…" take.
#[derive(Debug, Clone, PartialEq)]
pub struct RenderedScenario {
    root: Node,
}

impl RenderedScenario {
    /// The scenario as YAML.
    pub fn yaml(&self) -> String {
        to_yaml(&self.root)
    }

    /// The scenario as YAML with `metadata.name` set to `name`.
    pub fn yaml_named(&self, name: &str) -> String {
        to_yaml(&with_name(&self.root, name))
    }
}

/// The rendered scenario, or why the form's values do not give one yet.
pub type FormOutcome = Result<RenderedScenario, String>;

/// The parameter form of the template in `text` and its rendered preview; renders
/// nothing when `text` is not a template. `on_select` receives the line of a
/// clicked diagnostic (they point into the template); `outcome`, when given,
/// follows what the current values give.
#[component]
pub fn TemplateForm(
    #[prop(into)] text: Signal<String>,
    catalog: Catalog,
    #[prop(optional)] on_select: Option<Callback<u32>>,
    #[prop(optional)] outcome: Option<RwSignal<FormOutcome>>,
) -> impl IntoView {
    let declarations = Memo::new(move |_| {
        text.with(|t| {
            let document = parse_scenario(t).ok().filter(|d| d.is_template())?;
            let declared = document
                .root
                .get("parameters")
                .map(|node| read_declarations(node).0)
                .unwrap_or_default();
            Some(declared)
        })
    });
    // Only what the user changed; everything else takes its default.
    let values = RwSignal::new(BTreeMap::<String, Value>::new());
    let preview = Memo::new(move |_| {
        if declarations.with(Option::is_none) {
            return None;
        }
        let document = text.with(|t| parse_scenario(t).ok())?;
        let values = ParameterValues {
            values: values.get(),
        };
        Some(match render(&document, &values) {
            Ok(rendered) => {
                let validation = validate(&rendered, &catalog, &ValidateOptions::default());
                Preview {
                    yaml: Some(to_yaml(&rendered.root)),
                    root: Some(rendered.root),
                    plan: validation.plan,
                    diagnostics: validation.diagnostics,
                }
            }
            Err(diagnostics) => Preview {
                root: None,
                yaml: None,
                plan: None,
                diagnostics,
            },
        })
    });
    if let Some(outcome) = outcome {
        Effect::new(move |_| {
            let unchosen = declarations.with(|d| {
                d.iter()
                    .flatten()
                    .find(|spec| {
                        spec.kind == ParamType::Enum
                            && spec.default.is_none()
                            && values.with(|v| !v.contains_key(&spec.name))
                    })
                    .map(|spec| spec.name.clone())
            });
            let result = match (unchosen, preview.get()) {
                (Some(name), _) => Err(format!("Choose a value for {name} first.")),
                (
                    None,
                    Some(Preview {
                        root: Some(root),
                        plan: Some(_),
                        ..
                    }),
                ) => Ok(RenderedScenario { root }),
                (
                    None,
                    Some(Preview {
                        root: Some(_),
                        diagnostics,
                        ..
                    }),
                ) => Err(format!(
                    "The rendered scenario does not validate: {}",
                    first_error(&diagnostics)
                )),
                (None, Some(Preview { diagnostics, .. })) => Err(format!(
                    "The template does not render with these values: {}",
                    first_error(&diagnostics)
                )),
                (None, None) => Err("This is not a template.".to_owned()),
            };
            outcome.set(result);
        });
    }
    let diagnostics = Signal::derive(move || {
        preview.with(|p| {
            p.as_ref()
                .map(|p| p.diagnostics.clone())
                .unwrap_or_default()
        })
    });

    move || {
        let specs = declarations.get()?;
        let fields = specs
            .into_iter()
            .map(|spec| view! { <ParamField spec values /> })
            .collect_view();
        Some(view! {
            <section class="template-form" aria-labelledby="template-form-title" id="template-form">
                <h2 id="template-form-title">"Template parameters"</h2>
                <p class="hint">"Each field comes from the template's declaration; empty fields take the default. The preview renders and validates in your browser."</p>
                <form class="param-grid" on:submit=|ev| ev.prevent_default()>
                    {fields}
                    <button type="button" class="button" id="template-reset" on:click=move |_| values.set(BTreeMap::new())>"Reset to defaults"</button>
                </form>
                <h3>"Rendered scenario"</h3>
                <p id="template-status" aria-live="polite" class=move || preview.with(|p| match p {
                    Some(p) if p.plan.is_some() => "badge badge-completed",
                    _ => "badge badge-failed",
                })>
                    {move || preview.with(|p| match p {
                        Some(p) if p.plan.is_some() => "✓ renders and validates".to_owned(),
                        Some(p) if p.yaml.is_some() => format!("✗ renders, but {} problem(s)", p.diagnostics.iter().filter(|d| d.is_error()).count()),
                        _ => "✗ does not render with these values".to_owned(),
                    })}
                </p>
                <Show when=move || diagnostics.with(|d| !d.is_empty())>
                    <DiagnosticList diagnostics on_select=on_select.unwrap_or_else(|| Callback::new(|_| ())) id="template-diagnostics" />
                </Show>
                {move || preview.with(|p| p.as_ref().and_then(|p| p.plan.as_ref()).map(|plan| timeline_view(plan, None, 0)))}
                {move || preview.with(|p| p.as_ref().and_then(|p| p.yaml.clone())).map(|yaml| view! {
                    <details id="rendered-yaml">
                        <summary>"Rendered YAML"</summary>
                        <pre class="code"><code>{yaml}</code></pre>
                    </details>
                })}
            </section>
        })
    }
}

/// One input for one parameter, of the kind its type calls for.
#[component]
fn ParamField(spec: ParamSpec, values: RwSignal<BTreeMap<String, Value>>) -> impl IntoView {
    let name = spec.name.clone();
    let id = format!("param-{name}");
    let current = {
        let (name, default) = (name.clone(), spec.default.clone());
        move || values.with(|v| v.get(&name).cloned().or_else(|| default.clone()))
    };
    let set = {
        let name = name.clone();
        move |value: Option<Value>| {
            values.update(|v| match value {
                Some(value) => {
                    v.insert(name.clone(), value);
                }
                None => {
                    v.remove(&name);
                }
            })
        }
    };
    let about = format!(
        "{}{}{}",
        spec.describe(),
        spec.default
            .as_ref()
            .map(|d| format!("; default {}", value_text(d)))
            .unwrap_or_default(),
        if spec.required { "; required" } else { "" }
    );
    let input = match spec.kind {
        ParamType::Bool => {
            let set = set.clone();
            view! {
                <input type="checkbox" id=id.clone() name=name.clone()
                    prop:checked=move || current().and_then(|v| v.as_bool()).unwrap_or(false)
                    on:change:target=move |ev| set(Some(Value::Bool(ev.target().checked()))) />
            }
            .into_any()
        }
        ParamType::Enum => {
            let set = set.clone();
            let options = spec.values.clone();
            let current = current.clone();
            // Without a default nothing is chosen at first, and the field says so
            // rather than showing its first value as if it held it.
            let choose = spec.default.is_none().then(|| {
                let current = current.clone();
                view! { <option value="" selected=move || current().is_none()>"choose…"</option> }
            });
            view! {
                <select id=id.clone() name=name.clone() on:change:target=move |ev| {
                    let value = ev.target().value();
                    set((!value.is_empty()).then_some(Value::String(value)))
                }>
                    {choose}
                    {options.into_iter().map(|word| {
                        let current = current.clone();
                        let (value, selected_word) = (word.clone(), word.clone());
                        view! { <option value=value selected=move || current().and_then(|v| v.as_str().map(str::to_owned)).as_deref() == Some(selected_word.as_str())>{word}</option> }
                    }).collect_view()}
                </select>
            }
            .into_any()
        }
        ParamType::List if !spec.values.is_empty() => {
            let boxes = spec
                .values
                .iter()
                .map(|word| {
                    let (word, current, set, all) = (word.clone(), current.clone(), set.clone(), spec.values.clone());
                    let box_id = format!("{id}-{word}");
                    let label = word.clone();
                    let label_for = box_id.clone();
                    let checked = {
                        let (word, current) = (word.clone(), current.clone());
                        move || current().and_then(|v| v.as_array().cloned()).unwrap_or_default().iter().any(|i| i.as_str() == Some(word.as_str()))
                    };
                    let toggle = move |on: bool| {
                        let mut chosen: Vec<String> = current()
                            .and_then(|v| v.as_array().cloned())
                            .unwrap_or_default()
                            .iter()
                            .filter_map(|i| i.as_str().map(str::to_owned))
                            .collect();
                        chosen.retain(|w| *w != word);
                        if on {
                            chosen.push(word.clone());
                        }
                        // Keep the declaration's order.
                        let list = all.iter().filter(|w| chosen.contains(w)).cloned().map(Value::String).collect();
                        set(Some(Value::Array(list)));
                    };
                    view! {
                        <label class="check" for=label_for>
                            <input type="checkbox" id=box_id value=label.clone() prop:checked=checked
                                on:change:target=move |ev| toggle(ev.target().checked()) />
                            " "{label}
                        </label>
                    }
                })
                .collect_view();
            view! { <span class="check-group" id=id.clone() role="group" aria-label=name.clone()>{boxes}</span> }.into_any()
        }
        kind => {
            let set = set.clone();
            let items = spec.items;
            let (input_type, step) = match kind {
                ParamType::Int => ("number", "1"),
                ParamType::Float => ("number", "any"),
                _ => ("text", ""),
            };
            let placeholder = match kind {
                ParamType::Duration => "e.g. 30m, 1h30m",
                ParamType::List => "comma-separated",
                ParamType::Object => "JSON, e.g. {\"key\": 1}",
                _ => "",
            };
            view! {
                <input type=input_type id=id.clone() name=name.clone() step=step placeholder=placeholder
                    min=spec.min.map(|m| m.to_string()) max=spec.max.map(|m| m.to_string())
                    prop:value=move || current().map(|v| value_text(&v)).unwrap_or_default()
                    on:input:target=move |ev| set(parse_input(kind, items, &ev.target().value())) />
            }
            .into_any()
        }
    };
    view! {
        <div class="param-field" data-param=name.clone()>
            <label for=id.clone()><code>{name.clone()}</code></label>
            {input}
            <span class="hint">{about}{spec.description.clone().map(|d| format!(" — {d}"))}</span>
        </div>
    }
}

/// The first error's message (or the first diagnostic's), for one line.
fn first_error(diagnostics: &[Diagnostic]) -> String {
    diagnostics
        .iter()
        .find(|d| d.is_error())
        .or(diagnostics.first())
        .map_or_else(|| "no reason given".to_owned(), |d| d.message.clone())
}

/// `root` with `metadata.name` set to `name` (added when missing).
fn with_name(root: &Node, name: &str) -> Node {
    let mut root = root.clone();
    let position = root.position;
    let NodeValue::Mapping(entries) = &mut root.value else {
        return root;
    };
    let name_node = Node::new(NodeValue::String(name.to_owned()), position);
    match entries.iter_mut().find(|e| e.key == "metadata") {
        Some(metadata) => match &mut metadata.value.value {
            NodeValue::Mapping(fields) => match fields.iter_mut().find(|f| f.key == "name") {
                Some(field) => field.value = name_node,
                None => fields.insert(0, entry("name", name_node)),
            },
            _ => {
                metadata.value =
                    Node::new(NodeValue::Mapping(vec![entry("name", name_node)]), position)
            }
        },
        None => entries.push(entry(
            "metadata",
            Node::new(NodeValue::Mapping(vec![entry("name", name_node)]), position),
        )),
    }
    root
}

fn entry(key: &str, value: Node) -> crate::scenario::document::Entry {
    crate::scenario::document::Entry {
        key: key.to_owned(),
        key_position: value.position,
        value,
    }
}

/// A form field's text as a parameter value; `None` (the default) when empty.
/// Numbers stay text: rendering converts text to the declared type and says
/// precisely what is wrong when it cannot.
fn parse_input(kind: ParamType, items: Option<ParamType>, text: &str) -> Option<Value> {
    let text = text.trim();
    if text.is_empty() {
        return None;
    }
    Some(match kind {
        ParamType::List => Value::Array(
            text.split(',')
                .map(str::trim)
                .filter(|t| !t.is_empty())
                .map(|t| match items {
                    Some(ParamType::Int) => t
                        .parse::<i64>()
                        .map(Value::from)
                        .unwrap_or_else(|_| t.into()),
                    Some(ParamType::Float) => t
                        .parse::<f64>()
                        .ok()
                        .and_then(serde_json::Number::from_f64)
                        .map(Value::Number)
                        .unwrap_or_else(|| t.into()),
                    _ => Value::String(t.to_owned()),
                })
                .collect(),
        ),
        ParamType::Object | ParamType::Any => {
            serde_json::from_str(text).unwrap_or_else(|_| Value::String(text.to_owned()))
        }
        _ => Value::String(text.to_owned()),
    })
}

/// A value as a form shows it: text bare, lists comma-separated, the rest as JSON.
fn value_text(value: &Value) -> String {
    match value {
        Value::String(s) => s.clone(),
        Value::Array(items) => items.iter().map(value_text).collect::<Vec<_>>().join(", "),
        // `-10.0` reads as `-10` in a number field.
        Value::Number(n) => match n.as_f64() {
            Some(f) if n.is_f64() && f.fract() == 0.0 && f.abs() < 1e15 => format!("{}", f as i64),
            _ => n.to_string(),
        },
        other => other.to_string(),
    }
}

/// A rendered document as block YAML, keys in the order written. Strings are
/// double-quoted (JSON escapes are valid YAML), so nothing is re-typed on reading.
fn to_yaml(root: &Node) -> String {
    let mut out = String::new();
    match &root.value {
        NodeValue::Mapping(entries) if !entries.is_empty() => write_mapping(&mut out, entries, 0),
        _ => {
            out.push_str(&scalar(root));
            out.push('\n');
        }
    }
    out
}

fn scalar(node: &Node) -> String {
    match &node.value {
        NodeValue::Null => "null".to_owned(),
        NodeValue::Bool(b) => b.to_string(),
        NodeValue::Int(i) => i.to_string(),
        NodeValue::Float(f) => format!("{f:?}"),
        NodeValue::String(s) => serde_json::to_string(s).unwrap_or_default(),
        NodeValue::Sequence(_) => "[]".to_owned(),
        NodeValue::Mapping(_) => "{}".to_owned(),
    }
}

fn is_block(node: &Node) -> bool {
    match &node.value {
        NodeValue::Sequence(items) => !items.is_empty(),
        NodeValue::Mapping(entries) => !entries.is_empty(),
        _ => false,
    }
}

fn key_text(key: &str) -> String {
    let plain = !key.is_empty()
        && key
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-');
    if plain {
        key.to_owned()
    } else {
        serde_json::to_string(key).unwrap_or_default()
    }
}

fn write_mapping(out: &mut String, entries: &[crate::scenario::document::Entry], indent: usize) {
    let pad = " ".repeat(indent);
    for entry in entries {
        out.push_str(&format!("{pad}{}:", key_text(&entry.key)));
        write_value(out, &entry.value, indent + 2);
    }
}

/// Writes what follows `key:` or `-`: a scalar on the same line, a block below.
fn write_value(out: &mut String, node: &Node, indent: usize) {
    if !is_block(node) {
        out.push(' ');
        out.push_str(&scalar(node));
        out.push('\n');
        return;
    }
    out.push('\n');
    match &node.value {
        NodeValue::Mapping(entries) => write_mapping(out, entries, indent),
        NodeValue::Sequence(items) => write_sequence(out, items, indent),
        _ => {}
    }
}

fn write_sequence(out: &mut String, items: &[Node], indent: usize) {
    let pad = " ".repeat(indent);
    for item in items {
        match &item.value {
            NodeValue::Mapping(entries) if !entries.is_empty() => {
                // The first key goes on the dash's line.
                let mut block = String::new();
                write_mapping(&mut block, entries, indent + 2);
                out.push_str(&format!("{pad}- "));
                out.push_str(&block[indent + 2..]);
            }
            _ => {
                out.push_str(&format!("{pad}-"));
                write_value(out, item, indent + 2);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::scenario::parse::parse_scenario;

    #[test]
    fn the_yaml_preview_reads_back_as_the_same_document() {
        let text = "kind: Scenario\nmetadata:\n  name: \"x\"\n  tags: [a, b]\nspec:\n  empty: []\n  phases:\n    - name: one\n      duration: 5m\n      actions:\n        - service: s\n          parameters: {delay_ms: 5, ratio: 0.5, on: true, none: null}\n    - name: \"two: quoted\"\n";
        let document = parse_scenario(text).unwrap();
        let yaml = to_yaml(&document.root);
        let again = parse_scenario(&yaml).unwrap();
        assert_eq!(again.root.to_json(), document.root.to_json(), "{yaml}");
        assert!(
            yaml.contains("  phases:\n    - name: \"one\"\n      duration: \"5m\"\n"),
            "{yaml}"
        );
    }

    #[test]
    fn saving_as_a_scenario_sets_the_metadata_name() {
        let text = "kind: Scenario\nmetadata:\n  name: \"from-template\"\n  description: d\nspec:\n  duration: 5m\n";
        let rendered = RenderedScenario {
            root: parse_scenario(text).unwrap().root,
        };
        let named = parse_scenario(&rendered.yaml_named("mine")).unwrap();
        assert_eq!(named.node("metadata.name").unwrap().as_str(), Some("mine"));
        assert_eq!(
            named.node("metadata.description").unwrap().as_str(),
            Some("d")
        );
        assert_eq!(named.node("spec.duration").unwrap().as_str(), Some("5m"));
        assert_eq!(
            parse_scenario(&rendered.yaml())
                .unwrap()
                .node("metadata.name")
                .unwrap()
                .as_str(),
            Some("from-template")
        );
        let bare = RenderedScenario {
            root: parse_scenario("kind: Scenario\nspec: {}\n").unwrap().root,
        };
        let named = parse_scenario(&bare.yaml_named("x")).unwrap();
        assert_eq!(named.node("metadata.name").unwrap().as_str(), Some("x"));
    }

    #[test]
    fn form_text_becomes_values_of_the_declared_shape() {
        assert_eq!(parse_input(ParamType::Int, None, " "), None);
        assert_eq!(
            parse_input(ParamType::Int, None, "12"),
            Some(Value::from("12"))
        );
        assert_eq!(
            parse_input(ParamType::List, Some(ParamType::Int), "1, 2,x"),
            Some(serde_json::json!([1, 2, "x"]))
        );
        assert_eq!(
            parse_input(ParamType::Object, None, "{\"a\": 1}"),
            Some(serde_json::json!({"a": 1}))
        );
        assert_eq!(
            value_text(&serde_json::json!(["BTC-USD", "ETH-USD"])),
            "BTC-USD, ETH-USD"
        );
        assert_eq!(value_text(&serde_json::json!(-10.0)), "-10");
        assert_eq!(value_text(&serde_json::json!(0.25)), "0.25");
    }
}
