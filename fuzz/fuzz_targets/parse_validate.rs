//! Arbitrary bytes as a calendar file (first byte even) or as territories.toml (odd), next
//! to the default configuration: validation never panics, every error is located, and a
//! configuration that validates compiles and renders (every YAML file parses back).
#![no_main]

use libfuzzer_sys::fuzz_target;
use scalegen::config::example::{CALENDARS, TERRITORIES};
use scalegen::config::validate::model_from_strs;

fuzz_target!(|data: &[u8]| {
    let Some((&selector, rest)) = data.split_first() else {
        return;
    };
    let Ok(text) = std::str::from_utf8(rest) else {
        return;
    };
    let result = if selector % 2 == 0 {
        let mut calendars: Vec<(&str, &str)> = CALENDARS.to_vec();
        calendars.push(("fuzz.toml", text));
        model_from_strs(TERRITORIES, &calendars)
    } else {
        model_from_strs(text, CALENDARS)
    };
    match result {
        Ok(model) => {
            let schedule = scalegen::schedule::compile::compile(&model);
            if let Err(e) = scalegen::render::render_all(&model, &schedule) {
                panic!("a valid configuration must render: {e}");
            }
        }
        Err(failure) => {
            let shown = failure.render();
            assert!(shown.contains("--> "), "every error is located: {shown}");
        }
    }
});
