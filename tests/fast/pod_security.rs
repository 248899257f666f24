//! The pods' security numbers, scratch space and optional NetworkPolicy (issue 12,
//! item 9): numeric `runAsUser`/`runAsGroup`, a `sizeLimit` on `/tmp`, ephemeral-storage
//! requests and limits, all from `[pods]` with defaults; a NetworkPolicy per deployment
//! listed in the kustomization when `[pods.network_policy]` is there.

use crate::support::{default_sources, file, render, try_model, yaml_documents};
use serde_yaml::Value;

fn deployment(files: &[scalegen::render::file::RenderedFile]) -> Value {
    let f = file(files, "deployments/freshplan-api-queries-de.yaml");
    yaml_documents(&f.contents).remove(0)
}

fn with_pods(extra: &str) -> Result<Vec<scalegen::render::file::RenderedFile>, String> {
    let (territories, calendars) = default_sources();
    let model = try_model(&format!("{territories}\n{extra}"), &calendars)?;
    Ok(render(&model).1)
}

/// The ingress rule admits the Prometheus pods labelled `label` in `namespace`.
fn assert_scraped_by(rule: &Value, namespace: &str, (key, value): (&str, &str)) {
    let from = &rule["from"][0];
    let ns = &from["namespaceSelector"]["matchLabels"]["kubernetes.io/metadata.name"];
    assert_eq!(ns, namespace, "{rule:?}");
    assert_eq!(from["podSelector"]["matchLabels"][key], value, "{rule:?}");
}

#[test]
fn deployments_run_as_numeric_ids_with_bounded_scratch_space_by_default() {
    let files = with_pods("").unwrap();
    let d = deployment(&files);
    let pod = &d["spec"]["template"]["spec"];
    assert_eq!(pod["securityContext"]["runAsUser"], 10001);
    assert_eq!(pod["securityContext"]["runAsGroup"], 10001);
    let container = &pod["containers"][0];
    assert_eq!(container["securityContext"]["runAsUser"], 10001);
    assert_eq!(container["securityContext"]["runAsNonRoot"], true);
    assert_eq!(
        container["resources"]["requests"]["ephemeral-storage"],
        "256Mi"
    );
    assert_eq!(container["resources"]["limits"]["ephemeral-storage"], "1Gi");
    assert_eq!(pod["volumes"][0]["emptyDir"]["sizeLimit"], "256Mi");
    assert!(!files.iter().any(|f| f.path.starts_with("network/")));
}

#[test]
fn pods_table_sets_every_number_and_the_network_policy() {
    let files = with_pods(
        "[pods]\nrun_as_user = 4242\nrun_as_group = 4343\ntmp_size = \"64Mi\"\n\
         ephemeral_storage = { request = \"128Mi\", limit = \"512Mi\" }\n\
         [pods.network_policy]\ningress_namespaces = [\"ingress-nginx\"]\n\
         prometheus_namespace = \"observability\"\n\
         prometheus_labels = { \"app.kubernetes.io/instance\" = \"kps\" }\n",
    )
    .unwrap();
    let pod = deployment(&files)["spec"]["template"]["spec"].clone();
    assert_eq!(pod["securityContext"]["runAsUser"], 4242);
    assert_eq!(pod["containers"][0]["securityContext"]["runAsGroup"], 4343);
    assert_eq!(pod["volumes"][0]["emptyDir"]["sizeLimit"], "64Mi");
    let resources = &pod["containers"][0]["resources"];
    assert_eq!(resources["requests"]["ephemeral-storage"], "128Mi");
    assert_eq!(resources["limits"]["ephemeral-storage"], "512Mi");

    let policy = file(&files, "network/freshplan-api-queries-de.yaml");
    let policy = yaml_documents(&policy.contents).remove(0);
    assert_eq!(policy["kind"], "NetworkPolicy");
    assert_eq!(policy["spec"]["policyTypes"][0], "Ingress");
    let selector = &policy["spec"]["podSelector"]["matchLabels"];
    assert_eq!(selector["territory"], "DE");
    assert_eq!(selector["workload"], "queries");
    let rules = policy["spec"]["ingress"].as_sequence().unwrap();
    assert_eq!(rules.len(), 2);
    for rule in rules {
        assert_eq!(rule["ports"][0]["port"], "http", "only the service port");
    }
    let from_ingress = &rules[0]["from"][0]["namespaceSelector"]["matchLabels"];
    assert_eq!(from_ingress["kubernetes.io/metadata.name"], "ingress-nginx");
    assert_scraped_by(
        &rules[1],
        "observability",
        ("app.kubernetes.io/instance", "kps"),
    );
    let kustomization = &file(&files, "kustomization.yaml").contents;
    let listed = kustomization.matches("- \"network/").count();
    assert_eq!(listed, 6, "{kustomization}");
}

#[test]
fn an_empty_network_policy_table_admits_any_source_on_the_service_port_only() {
    let files = with_pods("[pods.network_policy]\n").unwrap();
    let policy = file(&files, "network/freshplan-api-commands-at.yaml");
    let policy = yaml_documents(&policy.contents).remove(0);
    let rules = policy["spec"]["ingress"].as_sequence().unwrap();
    assert!(rules[0].get("from").is_none(), "any source: {policy:?}");
    assert_scraped_by(
        &rules[1],
        "monitoring",
        ("app.kubernetes.io/name", "prometheus"),
    );
}

#[test]
fn bad_pod_settings_are_located_errors() {
    let cases = [
        ("[pods]\nrun_as_user = 0\n", "`pods.run_as_user`"),
        ("[pods]\nrun_as_group = 3000000000\n", "`pods.run_as_group`"),
        (
            "[pods]\ntmp_size = \"lots\"\n",
            "not a positive Kubernetes resource quantity",
        ),
        (
            "[pods]\nephemeral_storage = { request = \"2Gi\", limit = \"1Gi\" }\n",
            "request (2Gi) exceeds limit (1Gi)",
        ),
        (
            "[pods]\ntmp_size = \"2Gi\"\n",
            "`pods.ephemeral_storage.limit` (1Gi) is below `pods.tmp_size` (2Gi)",
        ),
        ("[pods]\nrun_as_usr = 1\n", "did you mean `run_as_user`?"),
        (
            "[pods.network_policy]\ningress_namespaces = [\"Not_A_Namespace\"]\n",
            "namespaces must be DNS-1123 labels",
        ),
        (
            "[pods.network_policy]\nprometheus_labels = { \"bad key!\" = \"x\" }\n",
            "is not a Kubernetes label key",
        ),
    ];
    for (extra, expected) in cases {
        let Err(err) = with_pods(extra) else {
            panic!("must be rejected: {extra}");
        };
        assert!(err.contains(expected), "{extra}: {err}");
        assert!(err.contains("--> territories.toml:"), "{err}");
    }
}

#[test]
fn network_policies_and_deployments_validate_against_upstream_schemas() {
    let Some(script) = crate::support::validate_manifests("run.sh") else {
        return;
    };
    if !(crate::support::has_tool("node") && crate::support::has_tool("npm")) {
        println!("skipped: node/npm not installed (run.sh needs them)");
        return;
    }
    let files = with_pods(
        "[pods]\nrun_as_user = 4242\n[pods.network_policy]\ningress_namespaces = [\"ingress-nginx\", \"gateway\"]\n",
    )
    .unwrap();
    let dir = crate::support::write_files(&files);
    let mut command = std::process::Command::new(&script);
    for f in files
        .iter()
        .filter(|f| f.path.starts_with("network/") || f.path.starts_with("deployments/"))
    {
        command.arg(dir.path().join(&f.path));
    }
    let out = command.output().expect("run run.sh");
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(out.status.success(), "schema validation failed:\n{text}");
    assert!(text.contains("24 documents valid"), "{text}");
}
