//! Mailchimp member upserts: PUT /lists/{list_id}/members/{subscriber_hash},
//! where the hash is the MD5 of the lowercased address
//! (https://mailchimp.com/developer/marketing/api/list-members/add-or-update-list-member/).

use serde_json::json;
use wiremock::matchers::{header, method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

use crate::common::{basic, received};
use crate::fixture;

#[tokio::test]
async fn upsert_addresses_the_member_by_the_md5_of_the_lowercased_email() {
    let server = MockServer::start().await;
    // md5("urist.mcvankab@freddiesjokes.com")
    let hash = "62eeb292278cc15f5817cb78f7790b08";
    Mock::given(method("PUT"))
        .and(path(format!("/3.0/lists/57afe96172/members/{hash}")))
        .and(header(
            "authorization",
            basic("anystring:0123456789abcdef0123456789abcdef-us6").as_str(),
        ))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({
            "id": hash,
            "email_address": "urist.mcvankab@freddiesjokes.com",
            "status": "subscribed",
        })))
        .expect(2)
        .mount(&server)
        .await;
    let connector = fixture::connector(
        "mailchimp",
        "https://{{ dc }}.api.mailchimp.com",
        &server.uri(),
    );
    let connection = fixture::connection(
        &connector,
        "api_key",
        json!({ "dc": "us6", "password": "0123456789abcdef0123456789abcdef-us6" }),
    );
    let upsert = |payload| patchbay_runtime::Call {
        variables: crate::common::values(json!({
            "list_id": "57afe96172",
            "email": "Urist.McVankab@FreddiesJokes.com",
        })),
        payload,
        files: Default::default(),
    };
    let response = connection
        .call(
            "upsert_member",
            &upsert(Some(json!({ "merge_fields": { "FNAME": "Urist" } }))),
        )
        .await
        .unwrap();
    assert_eq!(response.json().unwrap()["status"], "subscribed");
    // Without merge fields the member's stay as they are.
    connection
        .call("upsert_member", &upsert(Some(json!({}))))
        .await
        .unwrap();
    let sent = received(&server).await;
    let bodies: Vec<serde_json::Value> = sent
        .iter()
        .map(|r| serde_json::from_slice(&r.body).unwrap())
        .collect();
    assert_eq!(
        bodies[0],
        json!({
            "email_address": "Urist.McVankab@FreddiesJokes.com",
            "status_if_new": "subscribed",
            "merge_fields": { "FNAME": "Urist" },
        })
    );
    assert_eq!(bodies[1]["merge_fields"], json!({}));
    server.verify().await;
}
