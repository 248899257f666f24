//! Reading input never leaks what it should not and always says where a problem is
//! (issue 12, items 1, 6 and 7): symbolic links that leave the input's root are refused
//! unread (real links to a file holding a fake secret), input files and values are capped
//! before anything quotes or compares them, and errors point at the right table and at
//! the line and column of a bad byte.

use crate::support::bin::{all_output, code, init_project, scalegen, scalegen_with, tree};
use std::os::unix::fs::symlink;
use std::path::Path;

const SECRET: &str = "SECRET=hunter2-do-not-print";

/// A file outside every project directory holding a fake secret (in TOML-ish form, so
/// a parser that read it would quote it in its error).
fn secret_file() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("secret.toml"), format!("{SECRET}\n")).unwrap();
    dir
}

fn assert_refused_unread(project: &Path, args: &[&str], name: &str) {
    let o = scalegen(project, args);
    let out = all_output(&o);
    assert_eq!(code(&o), 2, "{out}");
    assert!(!out.contains("hunter2"), "the secret leaked:\n{out}");
    assert!(out.contains(&format!("--> {name}:1:1")), "{out}");
    assert!(out.contains("resolves to"), "{out}");
}

#[test]
fn a_calendar_linked_outside_the_root_is_refused_unread() {
    let secret = secret_file();
    let project = init_project();
    let p = project.path();
    symlink(
        secret.path().join("secret.toml"),
        p.join("calendars/zz.toml"),
    )
    .unwrap();
    assert_refused_unread(p, &["validate"], "calendars/zz.toml");
    assert_refused_unread(p, &["render"], "calendars/zz.toml");
    assert!(!p.join("deploy").exists(), "nothing was written");
}

#[test]
fn system_files_are_refused_even_through_a_root_that_contains_them() {
    let project = init_project();
    let p = project.path();
    symlink("/proc/self/environ", p.join("calendars/env.toml")).unwrap();
    let o = scalegen_with(p, &["validate"], &[("SCALEGEN_TEST_SECRET", SECRET)]);
    let out = all_output(&o);
    assert_eq!(code(&o), 2, "{out}");
    assert!(!out.contains("hunter2"), "the environment leaked:\n{out}");
    assert!(out.contains("a system file"), "{out}");
    // `--calendars /proc/self` names /proc as the directory itself: still refused.
    let o = scalegen_with(
        p,
        &["validate", "--calendars", "/proc/self"],
        &[("SCALEGEN_TEST_SECRET", SECRET)],
    );
    assert_eq!(code(&o), 2, "{}", all_output(&o));
    assert!(!all_output(&o).contains("hunter2"));
}

#[test]
fn a_territories_file_or_calendars_dir_linked_outside_is_refused() {
    let secret = secret_file();
    let project = init_project();
    let p = project.path();
    std::fs::remove_file(p.join("territories.toml")).unwrap();
    symlink(
        secret.path().join("secret.toml"),
        p.join("territories.toml"),
    )
    .unwrap();
    assert_refused_unread(p, &["validate"], "territories.toml");

    let project = init_project();
    let p = project.path();
    std::fs::rename(p.join("calendars"), p.join("calendars.real")).unwrap();
    symlink(secret.path(), p.join("calendars")).unwrap();
    assert_refused_unread(p, &["validate"], "calendars");
}

#[test]
fn hidden_directories_below_the_root_are_refused() {
    let project = init_project();
    let p = project.path();
    std::fs::create_dir(p.join(".git")).unwrap();
    std::fs::write(p.join(".git/config.toml"), format!("{SECRET}\n")).unwrap();
    symlink("../.git/config.toml", p.join("calendars/git.toml")).unwrap();
    let o = scalegen(p, &["validate"]);
    let out = all_output(&o);
    assert_eq!(code(&o), 2, "{out}");
    assert!(!out.contains("hunter2"), "{out}");
    assert!(out.contains("hidden"), "{out}");
}

#[test]
fn links_that_stay_inside_the_root_are_followed() {
    let project = init_project();
    let p = project.path();
    std::fs::create_dir(p.join("shared")).unwrap();
    std::fs::rename(
        p.join("calendars/oktoberfest.toml"),
        p.join("shared/oktoberfest.toml"),
    )
    .unwrap();
    symlink(
        "../shared/oktoberfest.toml",
        p.join("calendars/oktoberfest.toml"),
    )
    .unwrap();
    let o = scalegen(p, &["validate"]);
    assert_eq!(code(&o), 0, "{}", all_output(&o));
    // An explicit --calendars elsewhere is its own root.
    let elsewhere = tempfile::tempdir().unwrap();
    std::fs::rename(p.join("calendars"), elsewhere.path().join("cal")).unwrap();
    std::fs::rename(p.join("shared"), elsewhere.path().join("shared")).unwrap();
    let dir = elsewhere.path().join("cal");
    let o = scalegen(p, &["validate", "--calendars", dir.to_str().unwrap()]);
    assert_eq!(code(&o), 0, "{}", all_output(&o));
}

#[test]
fn a_bad_byte_is_located_by_line_and_column() {
    let project = init_project();
    let p = project.path();
    std::fs::write(p.join("calendars/zz.toml"), b"# ok\nid = \"\xff\"\n").unwrap();
    let o = scalegen(p, &["validate"]);
    let out = all_output(&o);
    assert_eq!(code(&o), 2, "{out}");
    assert!(out.contains("not UTF-8"), "{out}");
    assert!(out.contains("--> calendars/zz.toml:2:7"), "{out}");
}

#[test]
fn a_missing_key_points_at_its_own_table_header() {
    let project = init_project();
    let p = project.path();
    let entry = |id: &str, to: bool| {
        let to = if to { "to = \"01-02\"\n" } else { "" };
        format!("[[season]]\nid = \"{id}\"\nfrom = \"01-01\"\n{to}hours = \"08:00-09:00\"\nfloor.DE = {{ queries = 3 }}\n\n")
    };
    let text = format!(
        "{}{}{}",
        entry("a", true),
        entry("b", true),
        entry("c", false)
    );
    std::fs::write(p.join("calendars/zz.toml"), &text).unwrap();
    let o = scalegen(p, &["validate"]);
    let out = all_output(&o);
    assert_eq!(code(&o), 2, "{out}");
    assert!(out.contains("missing required key `to`"), "{out}");
    assert!(out.contains("--> calendars/zz.toml:15:1"), "{out}");
    let campaign = "[[campaign]]\nid = \"x\"\nfrom = \"2026-01-01\"\nto = \"2026-01-02\"\nhours = \"08:00-09:00\"\nfloor.DE = { queries = 3 }\n\n[[campaign]]\nid = \"y\"\n";
    std::fs::write(p.join("calendars/zz.toml"), campaign).unwrap();
    let out = all_output(&scalegen(p, &["validate"]));
    assert!(out.contains("--> calendars/zz.toml:8:1"), "{out}");
}

#[test]
fn huge_values_and_files_are_refused_without_printing_them() {
    let project = init_project();
    let p = project.path();
    let good = std::fs::read_to_string(p.join("territories.toml")).unwrap();
    let zone = "Z".repeat(1_000_000);
    let huge = good.replacen("Europe/Berlin", &zone, 1);
    std::fs::write(p.join("territories.toml"), &huge).unwrap();
    let o = scalegen(p, &["validate"]);
    let out = all_output(&o);
    assert_eq!(code(&o), 2, "{}", &out[..out.len().min(2000)]);
    assert!(
        out.len() < 4000,
        "the value is not printed: {} bytes",
        out.len()
    );
    assert!(out.contains("too long"), "{out}");
    assert!(out.contains("--> territories.toml:"), "{out}");

    std::fs::write(p.join("territories.toml"), &good).unwrap();
    let filler = format!("# {}\n", "x".repeat(1000)).repeat(1100);
    std::fs::write(p.join("calendars/big.toml"), filler).unwrap();
    let o = scalegen(p, &["validate"]);
    let out = all_output(&o);
    assert_eq!(code(&o), 2);
    assert!(out.contains("larger than 1048576 bytes"), "{out}");
    assert!(out.contains("--> calendars/big.toml:1:1"), "{out}");
}

#[test]
fn a_fifo_or_directory_named_toml_is_an_error_not_a_hang() {
    let project = init_project();
    let p = project.path();
    std::fs::create_dir(p.join("calendars/dir.toml")).unwrap();
    let status = std::process::Command::new("mkfifo")
        .arg(p.join("calendars/pipe.toml"))
        .status()
        .unwrap();
    assert!(status.success());
    let before = tree(p);
    let o = scalegen(p, &["render"]);
    let out = all_output(&o);
    assert_eq!(code(&o), 2, "{out}");
    assert!(out.contains("--> calendars/dir.toml:1:1"), "{out}");
    assert!(out.contains("--> calendars/pipe.toml:1:1"), "{out}");
    assert_eq!(tree(p), before);
}
