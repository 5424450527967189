//! Comparing the admin endpoints' `?verbose` answers, whose timings vary
//! from run to run.

/// `body` with the timing of each verbose line (` (2.1ms, changed 3m ago)`,
/// which varies from run to run) removed.
pub fn untimed(body: &str) -> String {
    body.split_inclusive('\n')
        .map(|line| {
            let timing = line.find(" (").and_then(|open| {
                let close = open + line[open..].find(')')?;
                let first = line[open + 2..close].split(", ").next()?;
                first.ends_with('s').then_some((open, close))
            });
            match timing {
                Some((open, close)) => format!("{}{}", &line[..open], &line[close + 1..]),
                None => line.to_owned(),
            }
        })
        .collect()
}
