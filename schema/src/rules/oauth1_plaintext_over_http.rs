//! PB740: an `oauth1` method signing with `PLAINTEXT` whose endpoint
//! requests go over plain `http://`.

use super::{Context, PB740};
use crate::diagnostic::{Finding, Reporter, Target};
use crate::document::pointer_push;
use crate::model::{AuthMethod, SignatureMethod};
use crate::usage::is_enabled;

pub(crate) fn check(context: &Context<'_>, reporter: &mut Reporter<'_>) {
    let spec = context.spec;
    for (key, method) in &spec.auth {
        let AuthMethod::OAuth1(oauth1) = method else {
            continue;
        };
        if oauth1.signature_method != SignatureMethod::Plaintext {
            continue;
        }
        for (name, endpoint) in spec.endpoints.iter().filter(|(_, e)| is_enabled(e, key)) {
            let plain = endpoint
                .url
                .get(..7)
                .is_some_and(|scheme| scheme.eq_ignore_ascii_case("http://"));
            if !plain {
                continue;
            }
            let pointer = pointer_push(&pointer_push("/endpoints", name), "url");
            reporter.report(
                Target::Value(&pointer),
                Finding::new(
                    &PB740,
                    format!("auth method `{key}` signs with PLAINTEXT, which sends the consumer secret and the token secret themselves with every request: over plain http anyone on the way reads them"),
                )
                .fix("use `https://`, or sign with `HMAC-SHA256` (or `HMAC-SHA1`) if the API accepts it"),
            );
        }
    }
}

#[cfg(test)]
mod tests {
    use crate::SourceFile;

    fn pb740(method: &str, url: &str) -> Vec<String> {
        let text = format!(
            "format = 1\n[connector]\nid = \"x\"\nname = \"X\"\nversion = \"1.0.0\"\n[auth.m]\ntype = \"oauth1\"\nsignature_method = \"{method}\"\n[endpoints.a]\nurl = \"{url}\"\n"
        );
        crate::lint(&SourceFile::new("x.toml", text))
            .diagnostics
            .into_iter()
            .filter(|d| d.code == "PB740")
            .map(|d| d.pointer)
            .collect()
    }

    #[test]
    fn plaintext_over_http_is_reported_even_to_loopback() {
        assert_eq!(pb740("PLAINTEXT", "http://localhost:8080/a"), ["/endpoints/a/url"]);
        assert_eq!(pb740("PLAINTEXT", "HTTP://127.0.0.1/a"), ["/endpoints/a/url"]);
    }

    #[test]
    fn tls_and_signatures_are_quiet() {
        assert!(pb740("PLAINTEXT", "https://api.example.com/a").is_empty());
        assert!(pb740("HMAC-SHA256", "http://localhost/a").is_empty());
    }
}
