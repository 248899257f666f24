//! Writes a synthetic configuration for benchmarks: `synthetic DIR TERRITORIES ENTRIES`.
//!
//! Territories cycle through awkward zones (half-hour offsets, southern DST); entries mix
//! recurring seasons (some crossing the year end or midnight, some whole days, some with
//! weekday filters on whole months), campaigns and blackouts, each flooring every territory.

use std::fmt::Write as _;

const ZONES: &[&str] = &[
    "Europe/Berlin",
    "America/St_Johns",
    "Asia/Kolkata",
    "Australia/Lord_Howe",
    "America/New_York",
    "Pacific/Chatham",
    "Asia/Kathmandu",
    "UTC",
];

fn code(i: usize) -> String {
    let a = (b'A' + (i / 26) as u8) as char;
    let b = (b'A' + (i % 26) as u8) as char;
    format!("{a}{b}")
}

fn territories(n: usize) -> String {
    let mut s = String::from(
        "[app]\nname = \"synth\"\nnamespace = \"synth\"\nimage = \"registry.example.com/synth:1\"\nrunbook_url = \"https://wiki.example.com/runbook\"\n\n[workloads.queries]\np95_ms = 300\n\n[workloads.commands]\np95_ms = 350\n\n",
    );
    for i in 0..n {
        let _ = write!(
            s,
            "[territories.{}]\nname = \"Territory {i}\"\ntimezone = \"{}\"\nqueries = {{ min = 1, max = 20, rps_per_replica = 50, baseline_rps = 40 }}\ncommands = {{ min = 1, max = 10, rps_per_replica = 20 }}\n\n",
            code(i),
            ZONES[i % ZONES.len()]
        );
    }
    s.push_str("[events]\nchannel = \"synth_events\"\ntypes = [\"a.b\", \"c.d\"]\n");
    s
}

fn floors(territories: usize, level: usize) -> String {
    (0..territories)
        .map(|t| {
            format!(
                "floor.{} = {{ queries = {}, commands = {} }}\n",
                code(t),
                2 + level % 18,
                2 + level % 8
            )
        })
        .collect()
}

fn entry(i: usize, territories: usize) -> String {
    let body = floors(territories, i);
    match i % 6 {
        0 => format!("[[season]]\nid = \"s{i}\"\nfrom = \"{:02}-05\"\nto = \"{:02}-20\"\nhours = \"08:00-20:00\"\n{body}", 1 + i % 12, 1 + (i + 2) % 12),
        1 => format!("[[season]]\nid = \"s{i}\"\nfrom = \"12-15\"\nto = \"01-10\"\nhours = \"22:00-02:00\"\n{body}"),
        2 => format!("[[season]]\nid = \"s{i}\"\nfrom = \"{:02}-01\"\nto = \"{:02}-30\"\nhours = \"00:00-24:00\"\n{body}", 4 + i % 3, 6),
        3 => format!("[[season]]\nid = \"s{i}\"\nfrom = \"10-01\"\nto = \"11-30\"\nhours = \"07:00-18:00\"\ndays = \"mon-fri\"\n{body}"),
        4 => format!("[[campaign]]\nid = \"c{i}\"\nfrom = \"2026-{:02}-25\"\nto = \"2026-{:02}-03\"\nhours = \"21:00-03:00\"\n{body}", 1 + i % 11, 2 + i % 11),
        _ => format!("[[blackout]]\nid = \"b{i}\"\nfrom = \"{:02}-10\"\nto = \"{:02}-11\"\n", 1 + i % 12, 1 + i % 12),
    }
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let [_, dir, n, m] = args.as_slice() else {
        eprintln!("usage: synthetic DIR TERRITORIES ENTRIES");
        std::process::exit(2);
    };
    let (n, m): (usize, usize) = (n.parse().expect("TERRITORIES"), m.parse().expect("ENTRIES"));
    let dir = std::path::Path::new(dir);
    std::fs::create_dir_all(dir.join("calendars")).expect("create dir");
    std::fs::write(dir.join("territories.toml"), territories(n)).expect("write territories");
    // scalegen reads input files of at most 1 MiB: many entries go into several files
    // (`synthetic.toml`, then `synthetic-part001.toml`, …).
    let mut parts = vec![String::new()];
    for i in 0..m {
        let text = entry(i, n) + "\n";
        if parts
            .last()
            .is_some_and(|p| p.len() + text.len() > PART_BYTES)
        {
            parts.push(String::new());
        }
        parts.last_mut().expect("one part").push_str(&text);
    }
    for (k, part) in parts.iter().enumerate() {
        let name = if k == 0 {
            "synthetic.toml".to_string()
        } else {
            format!("synthetic-part{k:03}.toml")
        };
        std::fs::write(dir.join("calendars").join(name), part).expect("write calendar");
    }
}

/// Largest calendar file written (below scalegen's 1 MiB input limit).
const PART_BYTES: usize = 900 * 1024;
