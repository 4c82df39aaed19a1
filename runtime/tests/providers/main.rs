//! Wiremock tests of the connectors in `fixtures/connectors/`, one module
//! per provider, each playing the provider's documented response shapes.

mod zendesk;
