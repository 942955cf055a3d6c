use leptos::prelude::*;
use leptos_meta::Title;

use crate::components::{ErrorPanel, Loading};
use crate::server_fns::list_services;

/// The services the coordinator is configured to act on.
#[component]
pub fn Services() -> impl IntoView {
    let services = Resource::new(|| (), |_| list_services());
    view! {
        <Title text="Services" />
        <h1>"Services"</h1>
        <p class="muted">"The services scenarios can act on, from config.yaml and the environment."</p>
        <Suspense fallback=Loading>
            {move || Suspend::new(async move {
                match services.await {
                    Ok(list) if list.is_empty() => {
                        view! { <p class="panel">"No services are configured."</p> }.into_any()
                    }
                    Ok(list) => view! {
                        <table class="table" id="services-table">
                            <thead>
                                <tr><th scope="col">"Service"</th><th scope="col">"URL"</th><th scope="col">"Health"</th><th scope="col">"Chaos API"</th><th scope="col">"Timeout"</th></tr>
                            </thead>
                            <tbody>
                                {list.into_iter().map(|s| view! {
                                    <tr>
                                        <th scope="row">{s.name}</th>
                                        <td><code>{s.url}</code></td>
                                        <td><code>{s.health_endpoint}</code></td>
                                        <td>{s.chaos_api_path.map(|p| view! { <code>{p}</code> }.into_any()).unwrap_or_else(|| "—".into_any())}</td>
                                        <td>{s.timeout}</td>
                                    </tr>
                                }).collect_view()}
                            </tbody>
                        </table>
                    }.into_any(),
                    Err(error) => view! { <ErrorPanel error /> }.into_any(),
                }
            })}
        </Suspense>
    }
}
