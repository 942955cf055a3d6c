//! `/tokens`: API tokens for automation (the CLI's `--token`, CI scripts).
//! Everyone sees and revokes their own (an admin every user's, with the
//! owner), and creates one with a role no higher than theirs and an optional
//! expiry. A new token's secret is shown once, in a box to copy it from.

use leptos::prelude::*;
use leptos_meta::Title;

use crate::api::auth::{CreatedToken, NewToken, Role, TokenInfo};
use crate::api::ApiError;
use crate::components::{
    outcome_of, readable_time, ConfirmButton, ErrorPanel, Loading, Outcome, RoleSelect,
};
use crate::me::use_me;
use crate::server_fns::{
    server_resource,
    team::{create_token, list_tokens, revoke_token},
};

/// The expiry choices: label and `NewToken::expires_in` (none: never).
const EXPIRY: [(&str, Option<&str>); 4] = [
    ("never", None),
    ("1 day", Some("1d")),
    ("30 days", Some("30d")),
    ("90 days", Some("90d")),
];

/// The tokens page.
#[component]
pub fn Tokens() -> impl IntoView {
    let me = use_me();
    let Some(principal) = me.principal else {
        return view! {
            <Title text="Tokens" />
            <h1>"API tokens"</h1>
            <super::users::NeedsRole role=Role::Viewer />
        }
        .into_any();
    };
    let admin = principal.can(Role::Admin);
    let create = Action::new(|request: &NewToken| create_token(request.clone()));
    let revoke = Action::new(|id: &String| revoke_token(id.clone()));
    let tokens = server_resource(
        move || (create.version().get(), revoke.version().get()),
        |_| list_tokens(),
    );
    let confirming = RwSignal::new(None::<String>);
    let revoked = Signal::derive(move || {
        outcome_of(revoke.value().get(), "Not revoked", |token| {
            format!("Revoked {}: it no longer works.", token.name)
        })
    });
    view! {
        <Title text="Tokens" />
        <h1>"API tokens"</h1>
        <p class="muted">
            "A token lets a script or the CLI act for its owner: "<code>"Authorization: Bearer …"</code>", "
            <code>"--token"</code>" or "<code>"TEST_COORDINATOR_TOKEN"</code>". Its role is never above its owner's. "
            {if admin { "As an admin you see every user's tokens." } else { "You see your own tokens." }}
        </p>
        <CreateToken create own_role=principal.role admin />
        <h2>"Tokens"</h2>
        <Outcome id="revoke-feedback" outcome=revoked />
        <Transition fallback=Loading>
            {move || Suspend::new(async move {
                match tokens.await {
                    Ok(list) if list.is_empty() => view! { <p class="panel" id="no-tokens">"No tokens yet."</p> }.into_any(),
                    Ok(list) => view! { <TokenTable list confirming on_revoke=move |id| { revoke.dispatch(id); } /> }.into_any(),
                    Err(error) => view! { <ErrorPanel error /> }.into_any(),
                }
            })}
        </Transition>
    }
    .into_any()
}

#[component]
fn TokenTable(
    list: Vec<TokenInfo>,
    confirming: RwSignal<Option<String>>,
    on_revoke: impl Fn(String) + Send + Sync + Clone + 'static,
) -> impl IntoView {
    let when = |at: &Option<String>, none: &str| {
        at.as_deref()
            .map(readable_time)
            .unwrap_or_else(|| none.to_owned())
    };
    view! {
        <div class="table-wrap">
            <table class="table" id="tokens-table">
                <thead><tr>
                    <th scope="col">"Name"</th><th scope="col">"Owner"</th><th scope="col">"Role"</th><th scope="col">"Created"</th>
                    <th scope="col">"Expires"</th><th scope="col">"Last used"</th><th scope="col">"State"</th>
                </tr></thead>
                <tbody>
                    {list.into_iter().map(|token| {
                        let on_revoke = on_revoke.clone();
                        let live = token.revoked_at.is_none();
                        view! {
                            <tr data-token=token.name.clone() data-id=token.id.clone()>
                                <th scope="row">{token.name.clone()}</th>
                                <td>{token.user.clone()}</td>
                                <td><span class=format!("role role-{}", token.role)>{token.role.as_str()}</span></td>
                                <td><time datetime=token.created_at.clone()>{readable_time(&token.created_at)}</time></td>
                                <td>{when(&token.expires_at, "never")}</td>
                                <td>{when(&token.last_used_at, "never")}</td>
                                <td>
                                    {if live {
                                        let (id, name) = (token.id.clone(), token.name.clone());
                                        view! {
                                            <ConfirmButton key=id.clone() id=format!("revoke-{name}") label="Revoke…"
                                                question=format!("Revoke {name}? Whatever uses it stops working.")
                                                yes="Yes, revoke" confirming on_confirm=move || on_revoke(id.clone()) />
                                        }.into_any()
                                    } else {
                                        view! { <span class="badge badge-refused">{format!("revoked {}", when(&token.revoked_at, ""))}</span> }.into_any()
                                    }}
                                </td>
                            </tr>
                        }
                    }).collect_view()}
                </tbody>
            </table>
        </div>
    }
}

/// The form that creates a token, and its secret, shown once.
#[component]
fn CreateToken(
    create: Action<NewToken, Result<CreatedToken, ApiError>>,
    own_role: Role,
    admin: bool,
) -> impl IntoView {
    let name = RwSignal::new(String::new());
    let role = RwSignal::new(own_role);
    let expiry = RwSignal::new(0usize);
    let owner = RwSignal::new(String::new());
    // The secret stays until dismissed; a new token replaces it.
    let secret = RwSignal::new(None::<CreatedToken>);
    Effect::new(move |_| {
        if let Some(Ok(created)) = create.value().get() {
            secret.set(Some(created));
            name.set(String::new());
        }
    });
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let user = owner.get_untracked().trim().to_owned();
        create.dispatch(NewToken {
            name: name.get_untracked().trim().to_owned(),
            role: Some(role.get_untracked()),
            user: (admin && !user.is_empty()).then_some(user),
            expires_in: EXPIRY
                .get(expiry.get_untracked())
                .and_then(|(_, value)| value.map(str::to_owned)),
        });
    };
    let error = move || match create.value().get() {
        Some(Err(error)) => Some(format!("Not created: {}", error.message)),
        _ => None,
    };
    let roles: Vec<Role> = Role::ALL.into_iter().filter(|r| *r <= own_role).collect();
    view! {
        <section aria-labelledby="create-token-title">
            <h2 id="create-token-title">"Create a token"</h2>
            <form class="filters" id="create-token-form" on:submit=submit>
                <label>"Name"
                    <input id="new-token-name" type="text" required maxlength="64" autocomplete="off" spellcheck="false"
                        pattern="[a-z0-9._\\-]+" title="1-64 characters: a-z, 0-9, '.', '_', '-'" placeholder="ci-nightly"
                        prop:value=move || name.get() on:input:target=move |ev| name.set(ev.target().value()) />
                </label>
                <RoleSelect id="new-token-role" role roles />
                <label>"Expires after"
                    <select id="new-token-expiry" on:change:target=move |ev| {
                        expiry.set(ev.target().value().parse().unwrap_or(0));
                    }>
                        {EXPIRY.into_iter().enumerate().map(|(i, (label, _))| view! {
                            <option value=i.to_string() selected=move || expiry.get() == i>{label}</option>
                        }).collect_view()}
                    </select>
                </label>
                {admin.then(|| view! {
                    <label>"For user"
                        <input id="new-token-user" type="text" autocomplete="off" spellcheck="false" placeholder="you"
                            prop:value=move || owner.get() on:input:target=move |ev| owner.set(ev.target().value()) />
                    </label>
                })}
                <button type="submit" class="button button-primary" id="create-token" disabled=move || create.pending().get()>
                    {move || if create.pending().get() { "Creating…" } else { "Create token" }}
                </button>
            </form>
            <p class="form-error" id="create-token-error" role="alert">{error}</p>
            {move || secret.get().map(|created| view! { <SecretBox created on_dismiss=move || secret.set(None) /> })}
        </section>
    }
}

/// A new token's secret, to copy now: it is stored only as a hash.
#[component]
fn SecretBox(
    created: CreatedToken,
    on_dismiss: impl Fn() + Send + Sync + 'static,
) -> impl IntoView {
    let copied = RwSignal::new(None::<bool>);
    let value = created.token.clone();
    let copy = move |_| {
        #[cfg(feature = "hydrate")]
        {
            let promise = window().navigator().clipboard().write_text(&value);
            leptos::task::spawn_local(async move {
                let done = wasm_bindgen_futures::JsFuture::from(promise).await.is_ok();
                copied.set(Some(done));
            });
        }
        #[cfg(not(feature = "hydrate"))]
        let _ = &value;
    };
    view! {
        <div class="secret-box" id="token-secret-box" role="status">
            <p><strong>{format!("Token {} created.", created.info.name)}</strong>" Copy it now: it is shown once, and cannot be shown again (only its hash is kept)."</p>
            <div class="secret-row">
                <label class="visually-hidden" for="token-secret">"The new token"</label>
                <input id="token-secret" class="secret" type="text" readonly spellcheck="false" value=created.token.clone()
                    on:focus:target=move |ev| ev.target().select() />
                <button type="button" class="button" id="copy-token" on:click=copy>"Copy"</button>
                <button type="button" class="button" id="dismiss-token" on:click=move |_| on_dismiss()>"I have copied it"</button>
            </div>
            <p class="hint" role="status">
                {move || copied.get().map(|ok| if ok { "Copied to the clipboard." } else { "Could not copy: select the text and copy it by hand." })}
            </p>
        </div>
    }
}
