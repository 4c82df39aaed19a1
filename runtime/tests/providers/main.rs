//! Provider shapes: each fixture connector's endpoints played against
//! wiremock with the provider's documented responses.

#![allow(clippy::unwrap_used)] // a test that cannot unwrap has failed

#[path = "../common/mod.rs"]
mod common;

mod fixture;

mod r#box;
mod slack_paging;
mod stripe;
