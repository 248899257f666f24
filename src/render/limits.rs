//! What the cluster accepts: the size of every rendered Kubernetes object against the
//! limits that reject it (issue 12, item 6).
//!
//! - `kubectl apply` (client-side) stores the whole object as JSON in the
//!   `kubectl.kubernetes.io/last-applied-configuration` annotation, and the API server
//!   refuses annotations over 262,144 bytes in total: an object whose compact JSON is
//!   larger cannot be applied that way (server-side apply still works) — a warning.
//! - A ConfigMap holds at most 1 MiB of data, and etcd stores objects of at most 1.5 MiB:
//!   the API server rejects those outright — an error.
//!
//! The PrometheusRule and the dashboard ConfigMap grow with the number of territories;
//! `render::monitoring` splits them per territory when one object would not fit
//! ([`fits_last_applied`]), so these limits are reached only by a single territory's share.
//!
//! Measuring an object exactly means a full YAML parse of its file. A file in the plain
//! subset the templates write has a cheap upper bound on the compact JSON of all its
//! objects ([`crate::render::yaml_subset::json_bound`]); when that bound is within the smallest limit,
//! no object of the file can exceed any limit (a ConfigMap's data is part of its JSON),
//! and the exact measure is skipped; when a lower bound on its largest object is already
//! beyond the limit, it does not fit `kubectl apply` either. Otherwise every object is measured exactly, so the
//! answers are the same as without the bound.

use crate::render::file::{is_yaml, RenderedFile};
use serde::Deserialize as _;

/// Largest total of an object's annotations (the API server's limit).
pub const LAST_APPLIED_BYTES: usize = 262_144;
/// Largest `data` + `binaryData` of a ConfigMap.
pub const CONFIGMAP_BYTES: usize = 1_048_576;
/// Largest object etcd stores (its default request limit).
pub const ETCD_BYTES: usize = 1_572_864;

/// One rendered object's size.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ObjectSize {
    /// File it is in.
    pub file: String,
    /// `kind`.
    pub kind: String,
    /// `metadata.name`.
    pub name: String,
    /// Bytes of the object as compact JSON (what `kubectl apply` stores and sends).
    pub json_bytes: usize,
    /// Bytes of a ConfigMap's data (keys and values), 0 for other kinds.
    pub data_bytes: usize,
}

/// A limit an object exceeds.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Oversize {
    /// The object.
    pub object: ObjectSize,
    /// Whether the cluster rejects it (an error) or only `kubectl apply` does (a warning).
    pub rejected: bool,
    /// Which limit, in words.
    pub message: String,
}

/// Sizes of every Kubernetes object (a document with `kind`) in the kustomized files.
pub fn object_sizes(files: &[RenderedFile]) -> Vec<ObjectSize> {
    files
        .iter()
        .filter(|f| f.kustomize && is_yaml(&f.path))
        .flat_map(|f| sizes_in(&f.path, &f.contents))
        .collect()
}

/// Sizes of the objects in one YAML text.
pub fn sizes_in(file: &str, contents: &str) -> Vec<ObjectSize> {
    let mut out = Vec::new();
    for doc in serde_yaml::Deserializer::from_str(contents) {
        let Ok(value) = serde_json::Value::deserialize(doc) else {
            continue;
        };
        let Some(kind) = value.get("kind").and_then(|k| k.as_str()) else {
            continue;
        };
        let data_bytes = if kind == "ConfigMap" {
            ["data", "binaryData"]
                .iter()
                .filter_map(|k| value.get(*k).and_then(|d| d.as_object()))
                .flatten()
                .map(|(k, v)| k.len() + v.as_str().map_or(0, str::len))
                .sum()
        } else {
            0
        };
        out.push(ObjectSize {
            file: file.to_string(),
            kind: kind.to_string(),
            name: value
                .pointer("/metadata/name")
                .and_then(|v| v.as_str())
                .unwrap_or("")
                .to_string(),
            json_bytes: value.to_string().len(),
            data_bytes,
        });
    }
    out
}

/// Whether every object of `file` can be applied with `kubectl apply`.
pub fn fits_last_applied(file: &RenderedFile) -> bool {
    match file.json_size {
        Some(size) if size.at_most <= LAST_APPLIED_BYTES => true,
        Some(size) if size.largest_at_least > LAST_APPLIED_BYTES => false,
        _ => sizes_in(&file.path, &file.contents)
            .iter()
            .all(|o| o.json_bytes <= LAST_APPLIED_BYTES),
    }
}

/// Whether the JSON bound of `file` proves that none of its objects exceeds any limit
/// (the smallest is [`LAST_APPLIED_BYTES`]; a ConfigMap's data is at most its JSON).
fn surely_fits(file: &RenderedFile) -> bool {
    file.json_size
        .is_some_and(|size| size.at_most <= LAST_APPLIED_BYTES)
}

/// Every limit the rendered objects exceed, errors first, then in file order.
pub fn check(files: &[RenderedFile]) -> Vec<Oversize> {
    let mut out = Vec::new();
    let unproven: Vec<&RenderedFile> = files
        .iter()
        .filter(|f| f.kustomize && is_yaml(&f.path) && !surely_fits(f))
        .collect();
    for o in measured(&unproven) {
        let what = format!("{} `{}` in {}", o.kind, o.name, o.file);
        let found = if o.json_bytes > ETCD_BYTES {
            Some((
                true,
                format!(
                    "{what} is {} bytes as JSON; etcd stores objects of at most {ETCD_BYTES} bytes",
                    o.json_bytes
                ),
            ))
        } else if o.data_bytes > CONFIGMAP_BYTES {
            Some((
                true,
                format!(
                    "{what} holds {} bytes of data; a ConfigMap holds at most {CONFIGMAP_BYTES}",
                    o.data_bytes
                ),
            ))
        } else if o.json_bytes > LAST_APPLIED_BYTES {
            Some((false, format!("{what} is {} bytes as JSON; `kubectl apply` keeps it in an annotation of at most {LAST_APPLIED_BYTES} bytes (use `kubectl apply --server-side`)", o.json_bytes)))
        } else {
            None
        };
        if let Some((rejected, message)) = found {
            out.push(Oversize {
                object: o,
                rejected,
                message,
            });
        }
    }
    out.sort_by_key(|o| !o.rejected);
    out
}

/// The sizes of every object of `files`, in file order; two or more files are measured
/// half on a second thread (each is a full YAML parse, seconds for the largest configs).
fn measured(files: &[&RenderedFile]) -> Vec<ObjectSize> {
    let sizes = |part: &[&RenderedFile]| -> Vec<ObjectSize> {
        part.iter()
            .flat_map(|f| sizes_in(&f.path, &f.contents))
            .collect()
    };
    if files.len() < 2 {
        return sizes(files);
    }
    let (first, second) = files.split_at(files.len() / 2);
    std::thread::scope(|scope| {
        let other = scope.spawn(|| sizes(second));
        let mut all = sizes(first);
        all.extend(
            other
                .join()
                .unwrap_or_else(|panic| std::panic::resume_unwind(panic)),
        );
        all
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn file(path: &str, contents: String) -> RenderedFile {
        let json_size = crate::render::file::check_yaml(&contents).expect("parses");
        RenderedFile {
            path: path.into(),
            contents,
            kustomize: true,
            json_size,
        }
    }

    #[test]
    fn sizes_are_the_compact_json_and_configmap_data() {
        let text = "# header\napiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: x\ndata:\n  k: |-\n    abc\n---\nkind: Service\nmetadata:\n  name: s\n";
        let sizes = sizes_in("a.yaml", text);
        assert_eq!(sizes.len(), 2);
        assert_eq!(
            (sizes[0].kind.as_str(), sizes[0].name.as_str()),
            ("ConfigMap", "x")
        );
        assert_eq!(sizes[0].data_bytes, 4);
        assert_eq!(
            sizes[0].json_bytes,
            r#"{"apiVersion":"v1","data":{"k":"abc"},"kind":"ConfigMap","metadata":{"name":"x"}}"#
                .len()
        );
        assert_eq!(sizes[1].data_bytes, 0);
    }

    #[test]
    fn each_limit_is_named_with_the_object_and_its_size() {
        let big = |n: usize| {
            format!(
                "kind: ConfigMap\nmetadata:\n  name: big\ndata:\n  k: \"{}\"\n",
                "x".repeat(n)
            )
        };
        assert!(check(&[file("a.yaml", big(1000))]).is_empty());
        let warn = check(&[file("a.yaml", big(300_000))]);
        assert_eq!(warn.len(), 1);
        assert!(!warn[0].rejected);
        assert!(
            warn[0].message.contains("ConfigMap `big` in a.yaml"),
            "{}",
            warn[0].message
        );
        assert!(!fits_last_applied(&file("a.yaml", big(300_000))));
        let error = check(&[file("a.yaml", big(1_100_000))]);
        assert!(error[0].rejected);
        assert!(error[0].message.contains("1048576"), "{}", error[0].message);
    }
}
