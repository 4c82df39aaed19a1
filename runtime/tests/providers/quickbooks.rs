//! QuickBooks Online queries: STARTPOSITION (1-based) and MAXRESULTS
//! inside the statement, records under /QueryResponse/<Entity>, and
//! `"QueryResponse": {}` past the end
//! (https://developer.intuit.com/app/developer/qbo/docs/learn/explore-the-quickbooks-online-api/data-queries).

use serde_json::{Value, json};
use wiremock::matchers::{header, method, path, query_param};
use wiremock::{Mock, MockServer, ResponseTemplate};

use crate::fixture::{self, read_all};

fn customers(first: usize, count: usize) -> Value {
    let customers: Vec<Value> = (first..first + count)
        .map(|id| json!({ "Id": id.to_string(), "DisplayName": format!("Customer {id}"), "Active": true, "SyncToken": "0" }))
        .collect();
    json!({
        "QueryResponse": { "Customer": customers, "startPosition": first, "maxResults": count },
        "time": "2026-12-03T10:41:17.443-08:00"
    })
}

#[tokio::test]
async fn list_customers_pages_through_the_statement_until_an_empty_answer() {
    let server = MockServer::start().await;
    let page = |start: usize, answer: Value| {
        Mock::given(method("GET"))
            .and(path("/v3/company/9130357004/query"))
            .and(header("authorization", "Bearer qb-token"))
            .and(query_param(
                "query",
                format!("SELECT * FROM Customer STARTPOSITION {start} MAXRESULTS 1000"),
            ))
            .and(query_param("minorversion", "75"))
            .respond_with(ResponseTemplate::new(200).set_body_json(answer))
            .expect(1)
    };
    page(1, customers(1, 1000)).mount(&server).await;
    // A full last page: only the empty answer after it ends the run.
    page(1001, customers(1001, 1000)).mount(&server).await;
    page(
        2001,
        json!({ "QueryResponse": {}, "time": "2026-12-03T10:41:18.001-08:00" }),
    )
    .mount(&server)
    .await;
    let connector = fixture::connector(
        "quickbooks",
        "https://{{ api_host }}.api.intuit.com",
        &server.uri(),
    );
    let connection = fixture::logged_in(
        &connector,
        "oauth",
        json!({ "client_id": "ABc", "client_secret": "s3cret" }),
        "qb-token",
        json!({ "realm_id": "9130357004" }),
    );
    let (records, pages) = read_all(
        &connection,
        "list_customers",
        patchbay_runtime::Call::default(),
    )
    .await;
    assert_eq!(pages, 3);
    assert_eq!(records.len(), 2000);
    assert_eq!(records[1999]["Id"], "2000");
    server.verify().await;
}
