//! Provider shapes: the connectors of `fixtures/connectors/` against
//! wiremock servers that answer as each provider documents.

#![allow(clippy::unwrap_used)] // a test that cannot unwrap has failed

mod fixture;
mod shopify_errors;
mod slack_errors;
