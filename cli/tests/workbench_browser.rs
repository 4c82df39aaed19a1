//! The workbench journey in a real browser: Debian's Chromium driven by
//! Playwright (`playwright-core`, pinned in workbench/tests/browser) runs
//! workbench/tests/browser/journey.mjs against `patchbay serve` and the
//! real OAuth server (oidc-provider on loopback): add instances with the
//! confidential and the public client, connect, log in and allow on the
//! provider's pages, land back connected, test the connection, call an
//! endpoint; a denied consent; a spec with lint errors; a form error.
//!
//! `scripts/test` installs what it needs (`npm ci` in both Node folders,
//! and `chromium` with apt-get when missing). Screenshots of every step go
//! to target/workbench-screenshots; with `PATCHBAY_BLESS=1` the ones
//! docs/workbench.md shows are copied to docs/workbench.

#![allow(clippy::unwrap_used)] // a test that cannot unwrap has failed

use std::path::Path;
use std::process::Command;

mod common;
#[path = "common/serve.rs"]
#[allow(dead_code)] // the browser finds its way itself
mod serve;

use common::{Server, workspace};
use serve::{Workbench, private_dir, spec_folder};

/// The screenshots docs/workbench.md shows, by the journey's file names.
const DOCUMENTED: &[&str] = &[
    "01-connectors.png",
    "04-add-instance.png",
    "06-provider-login.png",
    "07-provider-consent.png",
    "08-connected.png",
    "09-test-connection.png",
    "10-call-endpoint.png",
    "11-consent-denied.png",
    "12-form-errors.png",
    "lint-errors.png",
];

#[test]
fn the_workbench_journey_passes_in_chromium() {
    let chromium = std::env::var("CHROMIUM").unwrap_or_else(|_| "/usr/bin/chromium".into());
    assert!(
        Path::new(&chromium).exists(),
        "Chromium is not installed at {chromium}: run scripts/test (as root it installs Debian's chromium), or set CHROMIUM"
    );
    let browser = workspace().join("workbench/tests/browser");
    assert!(
        browser.join("node_modules/playwright-core").exists(),
        "Playwright is not installed: run scripts/test (it runs `npm ci` in workbench/tests/browser)"
    );
    let server = Server::start();
    let dir = std::env::temp_dir().join(format!("patchbay-journey-{}", std::process::id()));
    private_dir(&dir);
    let home = dir.join("home");
    private_dir(&home);
    let specs = spec_folder(&dir);
    let workbench = Workbench::start(&specs, &home, &dir.join("serve.log"), &[]);
    let screenshots = workspace().join("target/workbench-screenshots");
    let _ = std::fs::remove_dir_all(&screenshots);

    let output = Command::new("node")
        .arg("journey.mjs")
        .current_dir(&browser)
        .env("WORKBENCH_URL", &workbench.url)
        .env("OIDC_BASE", &server.base)
        .env("SCREENSHOTS", &screenshots)
        .env("USER_DATA_DIR", dir.join("chromium-profile"))
        .env("CHROMIUM", &chromium)
        .output()
        .unwrap();
    assert!(
        output.status.success(),
        "the journey failed (screenshots so far in {}):\n{}{}",
        screenshots.display(),
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    for name in DOCUMENTED {
        assert!(screenshots.join(name).exists(), "no screenshot {name}");
    }
    if std::env::var_os("PATCHBAY_BLESS").is_some() {
        let docs = workspace().join("docs/workbench");
        std::fs::create_dir_all(&docs).unwrap();
        for name in DOCUMENTED {
            std::fs::copy(screenshots.join(name), docs.join(name)).unwrap();
        }
    }
    drop(workbench);
    let _ = std::fs::remove_dir_all(dir);
}
