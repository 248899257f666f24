//! `[pods]`: the numbers of the pods' security context, their scratch space and the
//! optional NetworkPolicy (issue 12, item 9). Every key is defaulted ([`Pods::default`]).

use super::Validator;
use crate::config::model::{NetworkPolicy, Pods};
use crate::config::parse::{Parsed, RawEphemeralStorage, RawNetworkPolicy, RawPods, SStr};
use crate::config::values::{is_dns1123_label, quantity_value};
use toml::Spanned;

/// Largest user or group id Kubernetes accepts in a security context.
const MAX_ID: i64 = 2_147_483_647;

impl Validator {
    pub(super) fn pods<T>(&mut self, p: &Parsed<T>, raw: &RawPods) -> Option<Pods> {
        let default = Pods::default();
        let id = |v: &mut Self, raw: &Option<Spanned<i64>>, what: &str, default: u32| match raw {
            None => Some(default),
            Some(n) => v.int_in(p, n, 1, MAX_ID, what).map(|n| n as u32),
        };
        let user = id(
            self,
            &raw.run_as_user,
            "`pods.run_as_user`",
            default.run_as_user,
        );
        let group = id(
            self,
            &raw.run_as_group,
            "`pods.run_as_group`",
            default.run_as_group,
        );
        let tmp = match &raw.tmp_size {
            None => Some(default.tmp_size.clone()),
            Some(q) => self.quantity(p, q),
        };
        let storage = match &raw.ephemeral_storage {
            None => Some((
                default.ephemeral_storage_request.clone(),
                default.ephemeral_storage_limit.clone(),
            )),
            Some(s) => self.ephemeral_storage(p, s),
        };
        if let (Some(t), Some((_, limit))) = (&tmp, &storage) {
            if quantity_value(t) > quantity_value(limit) {
                let at = raw
                    .tmp_size
                    .as_ref()
                    .map(|t| t.span())
                    .or_else(|| raw.ephemeral_storage.as_ref().map(|s| s.limit.span()))
                    .unwrap_or(0..0);
                self.error(
                    format!("`pods.ephemeral_storage.limit` ({limit}) is below `pods.tmp_size` ({t})"),
                    p.at(at),
                )
                .help = Some("the kubelet would evict the pod before /tmp is full; raise the limit or lower tmp_size".into());
                return None;
            }
        }
        let network_policy = match &raw.network_policy {
            None => Some(None),
            Some(n) => self.network_policy(p, n).map(Some),
        };
        let (request, limit) = storage?;
        Some(Pods {
            run_as_user: user?,
            run_as_group: group?,
            tmp_size: tmp?,
            ephemeral_storage_request: request,
            ephemeral_storage_limit: limit,
            network_policy: network_policy?,
        })
    }

    fn quantity<T>(&mut self, p: &Parsed<T>, q: &SStr) -> Option<String> {
        self.check(
            p,
            q,
            |s| quantity_value(s).is_some_and(|v| v > 0.0),
            "not a positive Kubernetes resource quantity",
            "use e.g. `256Mi` or `1Gi`",
        )
        .then(|| q.get_ref().clone())
    }

    /// Request ≤ limit.
    fn ephemeral_storage<T>(
        &mut self,
        p: &Parsed<T>,
        s: &RawEphemeralStorage,
    ) -> Option<(String, String)> {
        let request = self.quantity(p, &s.request);
        let limit = self.quantity(p, &s.limit);
        let (request, limit) = (request?, limit?);
        if quantity_value(&request) > quantity_value(&limit) {
            self.error(
                format!("`pods.ephemeral_storage`: request ({request}) exceeds limit ({limit})"),
                p.at(s.limit.span()),
            )
            .help = Some("Kubernetes rejects a request above its limit".into());
            return None;
        }
        Some((request, limit))
    }

    fn network_policy<T>(&mut self, p: &Parsed<T>, n: &RawNetworkPolicy) -> Option<NetworkPolicy> {
        let mut ok = true;
        let namespaces: Vec<String> = n
            .ingress_namespaces
            .as_ref()
            .map(|list| list.get_ref().as_slice())
            .unwrap_or_default()
            .iter()
            .map(|ns| {
                ok &= self.namespace_name(p, ns);
                ns.get_ref().clone()
            })
            .collect();
        let prometheus_namespace = match &n.prometheus_namespace {
            None => "monitoring".to_string(),
            Some(ns) => {
                ok &= self.namespace_name(p, ns);
                ns.get_ref().clone()
            }
        };
        let labels: Vec<(String, String)> = match &n.prometheus_labels {
            None => vec![("app.kubernetes.io/name".into(), "prometheus".into())],
            Some(map) => map
                .iter()
                .map(|(k, v)| {
                    if !is_label_key(k) {
                        self.error(format!("`{}` is not a Kubernetes label key", k.escape_debug()), p.at(v.span()))
                            .help = Some("a name of at most 63 letters, digits, `-`, `_` and `.`, optionally after a DNS prefix and `/`, e.g. `app.kubernetes.io/name`".into());
                        ok = false;
                    }
                    ok &= self.label_value(p, v);
                    (k.clone(), v.get_ref().clone())
                })
                .collect(),
        };
        ok.then_some(NetworkPolicy {
            ingress_namespaces: namespaces,
            prometheus_namespace,
            prometheus_labels: labels,
        })
    }

    fn namespace_name<T>(&mut self, p: &Parsed<T>, ns: &SStr) -> bool {
        self.check(
            p,
            ns,
            is_dns1123_label,
            "namespaces must be DNS-1123 labels",
            "e.g. `monitoring` or `ingress-nginx`",
        )
    }

    fn label_value<T>(&mut self, p: &Parsed<T>, v: &SStr) -> bool {
        self.check(
            p,
            v,
            |s| {
                s.len() <= 63
                    && s.chars()
                        .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'))
            },
            "label values have at most 63 letters, digits, `-`, `_` and `.`",
            "e.g. `prometheus`",
        )
    }
}

/// `[prefix/]name`: a DNS subdomain prefix of at most 253 characters, a name of 1–63
/// alphanumerics, `-`, `_` and `.` that starts and ends alphanumeric.
fn is_label_key(key: &str) -> bool {
    let (prefix, name) = key
        .rsplit_once('/')
        .map_or((None, key), |(p, n)| (Some(p), n));
    let name_ok = (1..=63).contains(&name.len())
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'))
        && name.starts_with(|c: char| c.is_ascii_alphanumeric())
        && name.ends_with(|c: char| c.is_ascii_alphanumeric());
    let prefix_ok = prefix
        .is_none_or(|p| !p.is_empty() && p.len() <= 253 && p.split('.').all(is_dns1123_label));
    name_ok && prefix_ok
}
