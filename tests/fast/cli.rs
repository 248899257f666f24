//! The binary end to end on temporary directories: init, render, drift check, bad
//! input leaving `--out` untouched, and byte-identical output across TZ, LANG and cwd.

use crate::support::bin::{code, files as snapshot, init_project, scalegen, text};
use std::path::Path;
use std::process::Command;

#[test]
fn render_check_edit_check_and_invalid_input() {
    let dir = init_project();
    let d = dir.path();

    let o = scalegen(d, &["render"]);
    assert_eq!(code(&o), 0, "render: {}", text(&o.stderr));
    let out = d.join("deploy/generated");
    assert!(out.join("kustomization.yaml").is_file());

    let o = scalegen(d, &["render", "--check"]);
    assert_eq!(
        code(&o),
        0,
        "check after render: {}{}",
        text(&o.stdout),
        text(&o.stderr)
    );
    assert!(text(&o.stdout).contains("up to date"));

    let edited = out.join("kustomization.yaml");
    let original = std::fs::read_to_string(&edited).unwrap();
    std::fs::write(&edited, original.replace("namespace:", "namespace: x\n#")).unwrap();
    let o = scalegen(d, &["render", "--check"]);
    let stdout = text(&o.stdout);
    assert_eq!(code(&o), 1, "drift: {stdout}");
    assert!(stdout.contains("changed: kustomization.yaml"), "{stdout}");
    assert!(stdout.contains("--- a/kustomization.yaml"), "{stdout}");
    assert!(stdout.contains("+++ b/kustomization.yaml"), "{stdout}");
    assert!(
        stdout.contains("scalegen render"),
        "names the fixing command: {stdout}"
    );

    // A stale generated file is drift too, and `render` removes it; user files stay.
    let stale = out.join("deployments/old.yaml");
    let header = scalegen::render::file::header_for("deployments/old.yaml");
    std::fs::write(&stale, format!("{header}kind: x\n")).unwrap();
    std::fs::write(out.join("NOTES.md"), "mine\n").unwrap();
    let o = scalegen(d, &["render", "--check"]);
    assert_eq!(code(&o), 1);
    assert!(text(&o.stdout).contains("stale: deployments/old.yaml"));
    let o = scalegen(d, &["render"]);
    assert_eq!(code(&o), 0);
    assert!(!stale.exists());
    assert!(out.join("NOTES.md").exists());
    assert_eq!(std::fs::read_to_string(&edited).unwrap(), original);

    // Invalid input: exit 2, rustc-style message, and not one byte of --out changes.
    let before = snapshot(&out);
    let config = d.join("territories.toml");
    let good = std::fs::read_to_string(&config).unwrap();
    std::fs::write(&config, good.replace("max = 6", "max = 0")).unwrap();
    let o = scalegen(d, &["render"]);
    assert_eq!(code(&o), 2);
    let stderr = text(&o.stderr);
    assert!(stderr.contains("--> territories.toml:"), "{stderr}");
    assert_eq!(
        snapshot(&out),
        before,
        "--out must be unchanged after invalid input"
    );
}

#[test]
fn missing_inputs_are_errors_with_a_hint() {
    let dir = tempfile::tempdir().unwrap();
    let o = scalegen(dir.path(), &["render"]);
    assert_eq!(code(&o), 2);
    let stderr = text(&o.stderr);
    assert!(stderr.contains("territories.toml"), "{stderr}");
    assert!(stderr.contains("scalegen init"), "{stderr}");
    assert!(!dir.path().join("deploy").exists(), "nothing written");
}

#[test]
fn init_refuses_to_overwrite() {
    let dir = init_project();
    let o = scalegen(dir.path(), &["init"]);
    assert_eq!(code(&o), 2);
    assert!(text(&o.stderr).contains("refusing to overwrite"));
}

#[test]
fn init_writes_the_repository_defaults() {
    let dir = init_project();
    let repo = Path::new(env!("CARGO_MANIFEST_DIR"));
    assert_eq!(
        std::fs::read(dir.path().join("territories.toml")).unwrap(),
        std::fs::read(repo.join("territories.toml")).unwrap()
    );
    assert_eq!(
        snapshot(&dir.path().join("calendars")),
        snapshot(&repo.join("calendars"))
    );
}

#[test]
fn output_is_byte_identical_across_tz_lang_and_cwd() {
    let repo = Path::new(env!("CARGO_MANIFEST_DIR"));
    let a = tempfile::tempdir().unwrap();
    let b = tempfile::tempdir().unwrap();
    let config = repo.join("territories.toml");
    let calendars = repo.join("calendars");
    let render = |cwd: &Path, out: &Path, tz: &str, lang: &str| {
        let o = Command::new(env!("CARGO_BIN_EXE_scalegen"))
            .args(["render", "--config"])
            .arg(&config)
            .arg("--calendars")
            .arg(&calendars)
            .arg("--out")
            .arg(out)
            .current_dir(cwd)
            .env("TZ", tz)
            .env("LANG", lang)
            .env("LC_ALL", lang)
            .output()
            .unwrap();
        assert_eq!(code(&o), 0, "{}", text(&o.stderr));
    };
    render(a.path(), &a.path().join("out"), "Pacific/Chatham", "C");
    render(b.path(), &b.path().join("out"), "UTC", "de_DE.UTF-8");
    assert_eq!(
        snapshot(&a.path().join("out")),
        snapshot(&b.path().join("out"))
    );
}

#[test]
fn validate_reports_ok_and_warns_about_past_campaigns() {
    let dir = init_project();
    let o = scalegen(dir.path(), &["validate", "--today", "2030-01-01"]);
    assert_eq!(code(&o), 0, "{}", text(&o.stderr));
    assert!(text(&o.stderr).contains("warning: campaign `black-week-2027` ended before 2030-01-01"));
    let o = scalegen(
        dir.path(),
        &["validate", "--today", "2030-01-01", "--deny-warnings"],
    );
    assert_eq!(code(&o), 2);
    let o = scalegen(dir.path(), &["validate", "--today", "2026-11-28"]);
    assert_eq!(code(&o), 0);
    let stderr = text(&o.stderr);
    assert!(!stderr.contains("ended before"), "{stderr}");
    // The only warning left: cron has no year, so the campaign recurs in 2028 unless removed.
    assert_eq!(stderr.matches("warning:").count(), 1, "{stderr}");
    assert!(
        stderr.contains("70.4 h in 2028, after them unless it is removed"),
        "{stderr}"
    );
}

#[test]
fn usage_errors_exit_2() {
    let dir = tempfile::tempdir().unwrap();
    assert_eq!(code(&scalegen(dir.path(), &["render", "--bogus"])), 2);
    assert_eq!(code(&scalegen(dir.path(), &["frobnicate"])), 2);
    assert_eq!(code(&scalegen(dir.path(), &["--help"])), 0);
}

#[test]
fn schema_describes_each_file_and_rejects_unknown_keys() {
    let dir = tempfile::tempdir().unwrap();
    let o = scalegen(dir.path(), &["schema", "territories"]);
    assert_eq!(code(&o), 0);
    let territories: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(territories["additionalProperties"], false);
    let required = territories["required"].as_array().unwrap();
    assert!(required.iter().any(|r| r == "app"), "{required:?}");
    let o = scalegen(dir.path(), &["schema", "calendar"]);
    assert_eq!(code(&o), 0);
    let calendar: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert!(calendar["properties"]["season"].is_object());
}

#[test]
fn completions_for_bash() {
    let dir = tempfile::tempdir().unwrap();
    let o = scalegen(dir.path(), &["completions", "bash"]);
    assert_eq!(code(&o), 0);
    assert!(text(&o.stdout).contains("scalegen"));
}

#[test]
fn validate_warns_about_window_edges_in_dst_changes() {
    let repo = Path::new(env!("CARGO_MANIFEST_DIR"));
    let fixture = repo.join("tests/fixtures/lead-probe-2");
    let o = Command::new(env!("CARGO_BIN_EXE_scalegen"))
        .args(["validate", "--today", "2026-01-01", "--config"])
        .arg(fixture.join("territories.toml"))
        .arg("--calendars")
        .arg(fixture.join("calendars"))
        .output()
        .unwrap();
    assert_eq!(code(&o), 0, "{}", text(&o.stderr));
    let stderr = text(&o.stderr);
    assert!(
        stderr.contains("warning: `dst-hours` in US: the window's end on 2026-03-08 falls into a DST change of US/Pacific"),
        "{stderr}"
    );
    assert!(
        !stderr.contains("in IE"),
        "00:30-02:30 exists in Dublin on every day: {stderr}"
    );
}
