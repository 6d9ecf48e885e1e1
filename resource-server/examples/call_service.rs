//! A service calling the documents API as itself: tokens from the auth server's client
//! credentials grant, kept, renewed and sent by `ServiceClient`.
//!
//! Against `scripts/run-local.sh` (its development client `reports-job`):
//!   CLIENT_SECRET=reports-job-dev-secret cargo run -p resource-server --example call_service

use resource_server::client::ServiceClient;
use resource_server::Secret;

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let secret = std::env::var("CLIENT_SECRET").map_err(|_| "CLIENT_SECRET: this service's client secret")?;
    // One client per identity, kept for the life of the service: clones share its token.
    let client = ServiceClient::builder("reports-job", Secret::new(secret))
        .auth_url("http://127.0.0.1:8080") // the token endpoint is found in its metadata
        .scope("documents:read")
        .build()?;
    // With `Authorization: Bearer`; renewed before it expires, and once on 401 invalid_token.
    let response = client.get("http://127.0.0.1:8081/api/documents").await?;
    println!("{} {}", response.status(), response.text().await?);
    // Any other request: built on `client.http()`, sent through the client.
    let me = client.send(client.http().get("http://127.0.0.1:8081/api/me")).await?;
    println!("{} {}", me.status(), me.text().await?);
    Ok(())
}
