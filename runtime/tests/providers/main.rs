//! Provider shapes: the connectors of `fixtures/connectors/` against
//! wiremock servers that answer as each provider documents.

#![allow(clippy::unwrap_used)] // a test that cannot unwrap has failed

#[path = "../common/mod.rs"]
mod common;

mod fixture;

mod airtable;
mod asana;
mod r#box;
mod dropbox;
mod dropbox_content;
mod hubspot;
mod intercom;
mod jwt_assertions;
mod linear;
mod magento;
mod mailchimp;
mod notion;
mod quickbooks;
mod shopify_errors;
mod shopify_paging;
mod slack_errors;
mod slack_paging;
mod stripe;
mod zendesk;
mod zoho;
