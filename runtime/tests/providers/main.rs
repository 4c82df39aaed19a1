//! The real connectors of `fixtures/connectors/`, played against wiremock
//! with each provider's documented response shapes.

#![allow(clippy::unwrap_used)] // a test that cannot unwrap has failed

#[path = "../common/mod.rs"]
mod common;

mod dropbox;
mod hubspot;
mod quickbooks;
mod shopify_paging;
