//! PB301: a URL whose literal scheme is `http://`, loopback excepted.

use super::{Context, PB301};
use crate::analysis::Field;
use crate::diagnostic::{Finding, Reporter, Target};
use crate::model::VariableType;
use crate::value::is_loopback;

pub(crate) fn check(context: &Context<'_>, reporter: &mut Reporter<'_>) {
    let finding = |what: String| {
        Finding::new(&PB301, format!("{what} uses plain http: credentials and data would cross the network unencrypted"))
            .fix("use `https://`; plain http is only allowed to loopback (`localhost`, `127.0.0.1`, `[::1]`)")
    };
    for site in context
        .analysis
        .sites
        .iter()
        .filter(|s| s.field == Field::Url)
    {
        if is_insecure(site.text) {
            reporter.report(Target::Value(&site.pointer), finding("this URL".to_owned()));
        }
    }
    for site in &context.variables {
        if site.kind != VariableType::Url {
            continue;
        }
        if let Some(default) = site.variable.default.as_ref().and_then(|d| d.as_str())
            && is_insecure(default)
        {
            reporter.report(
                Target::Value(&site.field("default")),
                finding(format!("the default of `{}`", site.name)),
            );
        }
    }
}

/// Whether a URL (template) starts with `http://` to a host that is not
/// literally loopback. A templated host cannot be known to be loopback.
fn is_insecure(url: &str) -> bool {
    let Some(rest) = url
        .get(..7)
        .filter(|s| s.eq_ignore_ascii_case("http://"))
        .map(|_| &url[7..])
    else {
        return false;
    };
    let authority = rest.split(['/', '?', '#']).next().unwrap_or_default();
    let host = authority
        .rsplit_once('@')
        .map_or(authority, |(_, host)| host);
    let host = if host.starts_with('[') {
        host.split_inclusive(']').next().unwrap_or(host)
    } else {
        host.split(':').next().unwrap_or(host)
    };
    // A templated host does not parse, and is not known to be loopback.
    !url::Host::parse(host).is_ok_and(|host| is_loopback(&host))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn loopback_is_allowed() {
        assert!(!is_insecure("http://localhost:8080/token"));
        assert!(!is_insecure("http://127.0.0.1/x"));
        assert!(!is_insecure("HTTP://[::1]:9/x"));
        assert!(!is_insecure("https://api.example.com"));
        assert!(!is_insecure("{{ url }}/api"));
    }

    #[test]
    fn other_hosts_are_not() {
        assert!(is_insecure("http://api.example.com/x"));
        assert!(is_insecure("http://{{ host }}/x"));
        assert!(is_insecure("http://127.0.0.1.evil.example/x"));
        assert!(is_insecure("http://localhost.evil.example"));
    }
}
