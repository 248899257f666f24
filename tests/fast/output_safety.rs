//! Writing `--out` (issue 12, items 1, 3 and 4): a symbolic link there is never read,
//! diffed or written through; a render that fails halfway — a failing write, a failing
//! rename, a full disk — leaves every byte of `--out` as it was; and only scalegen's own
//! files (an artefact path and exactly its header) are ever pruned.

use crate::support::bin::{all_output, code, init_project, scalegen, scalegen_with, text, tree};
use std::os::unix::fs::symlink;
use std::path::Path;

const SECRET: &str = "SECRET=hunter2-do-not-print";

/// A project rendered once into `deploy/generated`.
fn rendered_project() -> tempfile::TempDir {
    let project = init_project();
    let o = scalegen(project.path(), &["render"]);
    assert_eq!(code(&o), 0, "{}", all_output(&o));
    project
}

/// Changes the namespace, so every rendered file changes.
fn change_everything(project: &Path) {
    let config = project.join("territories.toml");
    let text = std::fs::read_to_string(&config).unwrap();
    let edited = text.replacen("namespace = \"freshplan\"", "namespace = \"elsewhere\"", 1);
    assert_ne!(text, edited);
    std::fs::write(config, edited).unwrap();
}

#[test]
fn a_linked_file_in_out_is_foreign_never_read_nor_replaced() {
    let secret = tempfile::tempdir().unwrap();
    let secret_file = secret.path().join("environ");
    std::fs::write(&secret_file, format!("{SECRET}\n")).unwrap();
    let project = rendered_project();
    let out = project.path().join("deploy/generated");
    std::fs::remove_file(out.join("kustomization.yaml")).unwrap();
    symlink(&secret_file, out.join("kustomization.yaml")).unwrap();
    let before = tree(&out);

    let o = scalegen(project.path(), &["render", "--check"]);
    let shown = all_output(&o);
    assert_eq!(code(&o), 1, "{shown}");
    assert!(!shown.contains("hunter2"), "the link was read:\n{shown}");
    assert!(shown.contains("foreign: kustomization.yaml"), "{shown}");

    let o = scalegen(project.path(), &["render"]);
    let shown = all_output(&o);
    assert_eq!(code(&o), 2, "{shown}");
    assert!(!shown.contains("hunter2"), "{shown}");
    assert!(shown.contains("symbolic link"), "{shown}");
    assert_eq!(tree(&out), before, "nothing changed");
    assert_eq!(
        std::fs::read_to_string(&secret_file).unwrap(),
        format!("{SECRET}\n")
    );
}

#[test]
fn a_linked_subdirectory_of_out_is_never_written_through() {
    let project = rendered_project();
    let out = project.path().join("deploy/generated");
    let elsewhere = tempfile::tempdir().unwrap();
    std::fs::rename(out.join("keda"), elsewhere.path().join("keda")).unwrap();
    symlink(elsewhere.path().join("keda"), out.join("keda")).unwrap();
    change_everything(project.path());
    let before = (tree(&out), tree(elsewhere.path()));

    let o = scalegen(project.path(), &["render"]);
    let shown = all_output(&o);
    assert_eq!(code(&o), 2, "{shown}");
    assert!(shown.contains("`keda` (on the way to `keda/"), "{shown}");
    assert_eq!((tree(&out), tree(elsewhere.path())), before);

    let o = scalegen(project.path(), &["render", "--check"]);
    assert_eq!(code(&o), 1);
    assert!(text(&o.stdout).contains("foreign: keda/freshplan-api-queries-de.yaml"));
}

#[test]
fn a_linked_out_directory_is_refused() {
    let project = rendered_project();
    let real = project.path().join("real-out");
    std::fs::rename(project.path().join("deploy/generated"), &real).unwrap();
    symlink(&real, project.path().join("deploy/generated")).unwrap();
    let before = tree(&real);
    let o = scalegen(project.path(), &["render"]);
    assert_eq!(code(&o), 2, "{}", all_output(&o));
    assert_eq!(tree(&real), before);
}

#[test]
fn a_failure_at_any_step_leaves_out_exactly_as_before() {
    let project = rendered_project();
    let p = project.path();
    let out = p.join("deploy/generated");
    // A stale generated file, so removals are part of the transaction too.
    let header = scalegen::render::file::header_for("keda/retired.yaml");
    std::fs::write(out.join("keda/retired.yaml"), format!("{header}kind: x\n")).unwrap();
    // A directory render must create (and remove again on failure).
    std::fs::remove_dir_all(out.join("docs")).unwrap();
    change_everything(p);
    let before = tree(&out);
    let o = scalegen(p, &["render", "--check"]);
    let report = text(&o.stdout);
    let n = report.matches("changed: ").count() + report.matches("missing: ").count();
    assert!(n > 10, "most files change: {report}");
    let fails = [
        "write:1".to_string(),
        "write:2".to_string(),
        format!("write:{}", n / 2),
        format!("write:{n}"),
        "rename:1".to_string(),
        format!("rename:{}", n / 2),
        format!("rename:{n}"),
        "remove:1".to_string(),
    ];
    for fail in &fails {
        let o = scalegen_with(p, &["render"], &[("SCALEGEN_FAIL_AT", fail)]);
        let shown = all_output(&o);
        assert_eq!(code(&o), 2, "{fail}: {shown}");
        assert!(shown.contains("injected failure"), "{fail}: {shown}");
        assert!(shown.contains("nothing in it was changed"), "{shown}");
        assert_eq!(tree(&out), before, "{fail} changed --out");
    }
    let o = scalegen(p, &["render"]);
    assert_eq!(code(&o), 0, "{}", all_output(&o));
    assert!(!out.join("keda/retired.yaml").exists());
    assert!(out.join("docs/runbook-seasonal.md").is_file());
    let leftovers: Vec<_> = tree(&out)
        .into_keys()
        .filter(|p| p.to_string_lossy().contains(".scalegen-"))
        .collect();
    assert!(leftovers.is_empty(), "{leftovers:?}");
}

#[test]
fn pruning_spares_look_alikes_and_other_trees() {
    let project = rendered_project();
    let p = project.path();
    let out = p.join("deploy/generated");
    let header = scalegen::render::file::header_for("keda/x.yaml");
    let files = [
        // Another team's rendered tree below --out, with scalegen's exact header.
        ("other-team/keda/x.yaml", format!("{header}kind: x\n")),
        (
            "other-team/kustomization.yaml",
            format!("{header}kind: x\n"),
        ),
        // A hand-written note that mentions the marker.
        (
            "NOTES.md",
            "# Generated by scalegen — notes on our overlay\n".to_string(),
        ),
        // A look-alike header at an artefact path.
        (
            "keda/edited.yaml",
            format!("{}, edited by hand\nkind: x\n", header.trim_end()),
        ),
        // The right header for YAML, but at a path scalegen never writes.
        ("keda/nested/x.yaml", format!("{header}kind: x\n")),
        ("deployments/x.yml", format!("{header}kind: x\n")),
    ];
    for (path, body) in &files {
        let path = out.join(path);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, body).unwrap();
    }
    let stale = out.join("keda/gone.yaml");
    std::fs::write(&stale, format!("{header}kind: x\n")).unwrap();
    let o = scalegen(p, &["render"]);
    assert_eq!(code(&o), 0, "{}", all_output(&o));
    assert!(text(&o.stdout).contains("1 removed"), "{}", text(&o.stdout));
    assert!(!stale.exists());
    for (path, body) in &files {
        assert_eq!(
            &std::fs::read_to_string(out.join(path)).unwrap(),
            body,
            "{path}"
        );
    }
}

/// A small tmpfs, unmounted when dropped (only as root, where `mount` works).
struct Tmpfs(tempfile::TempDir);

impl Tmpfs {
    fn mount(size: &str) -> Option<Tmpfs> {
        let dir = tempfile::tempdir().unwrap();
        let is_root = std::process::Command::new("id")
            .arg("-u")
            .output()
            .is_ok_and(|o| o.stdout == b"0\n");
        if !is_root {
            println!("skipped: not root, no tmpfs (the SCALEGEN_FAIL_AT cases cover this)");
            return None;
        }
        let ok = std::process::Command::new("mount")
            .args(["-t", "tmpfs", "-o", &format!("size={size}"), "tmpfs"])
            .arg(dir.path())
            .status()
            .is_ok_and(|s| s.success());
        if !ok {
            println!("skipped: mount -t tmpfs failed");
            return None;
        }
        Some(Tmpfs(dir))
    }
}

impl Drop for Tmpfs {
    fn drop(&mut self) {
        let _ = std::process::Command::new("umount")
            .arg(self.0.path())
            .status();
    }
}

#[test]
fn a_full_disk_halfway_leaves_out_exactly_as_before() {
    let Some(fs) = Tmpfs::mount("2m") else {
        return;
    };
    let project = init_project();
    let p = project.path();
    let out = fs.0.path().join("out");
    let out_arg = out.to_str().unwrap();
    let o = scalegen(p, &["render", "--out", out_arg]);
    assert_eq!(code(&o), 0, "{}", all_output(&o));
    change_everything(p);
    // Fill the disk, then free ~64 KiB: enough for some new files, not for all.
    let filler = fs.0.path().join("filler");
    std::fs::create_dir(&filler).unwrap();
    let chunk = vec![b'x'; 4096];
    let mut n = 0;
    while std::fs::write(filler.join(n.to_string()), &chunk).is_ok() {
        n += 1;
    }
    for i in 0..16 {
        std::fs::remove_file(filler.join((n - 1 - i).to_string())).unwrap();
    }
    let before = tree(&out);
    let o = scalegen(p, &["render", "--out", out_arg]);
    let shown = all_output(&o);
    assert_eq!(code(&o), 2, "{shown}");
    assert!(shown.contains("No space left on device"), "{shown}");
    assert_eq!(tree(&out), before, "ENOSPC changed --out");
    std::fs::remove_dir_all(&filler).unwrap();
    let o = scalegen(p, &["render", "--out", out_arg]);
    assert_eq!(code(&o), 0, "with space again: {}", all_output(&o));
}
