//! `/users` (admins): the accounts with their roles and last sign-in, a form
//! to add one, and "Remove…" behind a confirmation. Anyone else is told the
//! page needs the admin role (the server functions answer 403 anyway).

use leptos::prelude::*;
use leptos_meta::Title;

use crate::api::auth::{NewUser, Role, UserInfo};
use crate::components::{
    outcome_of, readable_time, ConfirmButton, ErrorPanel, Loading, Outcome, RoleSelect,
};
use crate::me::use_me;
use crate::server_fns::{
    server_resource,
    team::{add_user, list_users, remove_user},
};

/// The users page.
#[component]
pub fn Users() -> impl IntoView {
    let me = use_me();
    let Some(principal) = me.principal.filter(|p| p.can(Role::Admin)) else {
        return view! {
            <Title text="Users" />
            <h1>"Users"</h1>
            <NeedsRole role=Role::Admin />
        }
        .into_any();
    };
    let add = Action::new(|user: &NewUser| add_user(user.clone()));
    let remove = Action::new(|name: &String| remove_user(name.clone()));
    let users = server_resource(
        move || (add.version().get(), remove.version().get()),
        |_| list_users(),
    );
    let confirming = RwSignal::new(None::<String>);
    let removed = Signal::derive(move || {
        outcome_of(remove.value().get(), "Not removed", |()| {
            "Removed.".to_owned()
        })
    });
    let own = principal.name;
    view! {
        <Title text="Users" />
        <h1>"Users"</h1>
        <p class="muted">"The accounts that can sign in, and what their role lets them do: viewers read everything; operators also run, control and change scenarios and chaos; admins also manage users and every token."</p>
        <Outcome id="remove-feedback" outcome=removed />
        <Transition fallback=Loading>
            {move || {
                let own = own.clone();
                Suspend::new(async move {
                    match users.await {
                        Ok(list) => view! { <UserTable list own confirming on_remove=move |name| { remove.dispatch(name); } /> }.into_any(),
                        Err(error) => view! { <ErrorPanel error /> }.into_any(),
                    }
                })
            }}
        </Transition>
        <AddUser add />
    }
    .into_any()
}

/// "This page needs the … role", for a viewer whose role is too low.
#[component]
pub fn NeedsRole(role: Role) -> impl IntoView {
    let me = use_me();
    let who = me
        .principal
        .map(|p| format!("You are signed in as {} with the {} role.", p.name, p.role))
        .unwrap_or_else(|| "Nobody is signed in.".to_owned());
    view! {
        <p class="panel panel-error" role="alert" id="needs-role">
            {format!("This page needs the {role} role. {who}")}
        </p>
    }
}

#[component]
fn UserTable(
    list: Vec<UserInfo>,
    /// The signed-in admin's own name: their row has no "Remove…".
    own: String,
    confirming: RwSignal<Option<String>>,
    on_remove: impl Fn(String) + Send + Sync + Clone + 'static,
) -> impl IntoView {
    view! {
        <div class="table-wrap">
            <table class="table" id="users-table">
                <thead><tr><th scope="col">"Name"</th><th scope="col">"Role"</th><th scope="col">"Created"</th><th scope="col">"Last sign-in"</th><th scope="col">"Actions"</th></tr></thead>
                <tbody>
                    {list.into_iter().map(|user| {
                        let is_own = user.name == own;
                        let on_remove = on_remove.clone();
                        view! {
                            <tr data-user=user.name.clone()>
                                <th scope="row">{user.name.clone()}{is_own.then_some(" (you)")}</th>
                                <td><span class=format!("role role-{}", user.role)>{user.role.as_str()}</span></td>
                                <td><time datetime=user.created_at.clone()>{readable_time(&user.created_at)}</time></td>
                                <td>{user.last_sign_in_at.as_deref().map(readable_time).unwrap_or_else(|| "never".to_owned())}</td>
                                <td>{(!is_own).then(|| {
                                    let name = user.name.clone();
                                    view! {
                                        <ConfirmButton key=name.clone() id=format!("remove-{name}") label="Remove…"
                                            question=format!("Remove {name}? Their tokens stop working and their sessions end.")
                                            yes="Yes, remove" confirming on_confirm=move || on_remove(name.clone()) />
                                    }
                                })}</td>
                            </tr>
                        }
                    }).collect_view()}
                </tbody>
            </table>
        </div>
    }
}

/// The form that adds an account: name, role, password.
#[component]
fn AddUser(add: Action<NewUser, Result<UserInfo, crate::api::ApiError>>) -> impl IntoView {
    let name = RwSignal::new(String::new());
    let role = RwSignal::new(Role::Viewer);
    let password = RwSignal::new(String::new());
    Effect::new(move |_| {
        if let Some(Ok(_)) = add.value().get() {
            name.set(String::new());
            password.set(String::new());
        }
    });
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        add.dispatch(NewUser {
            name: name.get_untracked().trim().to_owned(),
            role: role.get_untracked(),
            password: password.get_untracked(),
        });
    };
    let feedback = Signal::derive(move || {
        outcome_of(add.value().get(), "Not added", |user| {
            format!("Added {} ({}).", user.name, user.role)
        })
    });
    view! {
        <section aria-labelledby="add-user-title">
            <h2 id="add-user-title">"Add a user"</h2>
            <form class="filters" id="add-user-form" on:submit=submit>
                <label>"Name"
                    <input id="new-user-name" type="text" required maxlength="64" autocomplete="off" spellcheck="false"
                        pattern="[a-z0-9._@\\-]+" title="1-64 characters: a-z, 0-9, '.', '_', '-', '@'"
                        prop:value=move || name.get() on:input:target=move |ev| name.set(ev.target().value()) />
                </label>
                <RoleSelect id="new-user-role" role roles=Role::ALL.to_vec() />
                <label>"Password"
                    <input id="new-user-password" type="password" required minlength="12" maxlength="1024" autocomplete="new-password"
                        title="at least 12 characters"
                        prop:value=move || password.get() on:input:target=move |ev| password.set(ev.target().value()) />
                </label>
                <button type="submit" class="button button-primary" id="add-user" disabled=move || add.pending().get()>
                    {move || if add.pending().get() { "Adding…" } else { "Add user" }}
                </button>
            </form>
            <p class="hint">"Passwords have at least 12 characters; they are stored only as argon2id hashes. Tell the person their password another way."</p>
            <Outcome id="add-user-feedback" outcome=feedback />
        </section>
    }
}
