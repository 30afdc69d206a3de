//! Reading `limactl`'s stderr (logrus text, lima.md §4.1-4.2) for the step a boot is at.

/// The steps of a first launch, as berth shows them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Step {
    Creating,
    Downloading,
    Booting,
    WaitingForSsh,
    WaitingForDocker,
    Stopping,
    Deleting,
}

impl Step {
    pub fn describe(self) -> &'static str {
        match self {
            Step::Creating => "creating the instance",
            Step::Downloading => "downloading the VM image",
            Step::Booting => "booting the VM",
            Step::WaitingForSsh => "waiting for ssh",
            Step::WaitingForDocker => "waiting for Docker",
            Step::Stopping => "stopping the VM",
            Step::Deleting => "deleting the instance",
        }
    }
}

/// The `msg` of a logrus line: `time="…" level=info msg="…"` (not a terminal) or
/// `INFO[0000] …` (a terminal). Other lines (the message block) are returned whole.
pub fn message(line: &str) -> &str {
    if let Some(start) = line.find("msg=\"") {
        let rest = &line[start + 5..];
        let mut escaped = false;
        for (i, c) in rest.char_indices() {
            match c {
                '\\' if !escaped => escaped = true,
                '"' if !escaped => return &rest[..i],
                _ => escaped = false,
            }
        }
        return rest;
    }
    if let Some(end) = line.find("] ").filter(|_| line.contains('[')) {
        return line[end + 2..].trim_start();
    }
    line
}

/// The step a line of `limactl create/start` output announces, if any.
pub fn step_for(line: &str) -> Option<Step> {
    let msg = message(line);
    if msg.contains("Attempting to download") || msg.contains("Downloading") {
        Some(Step::Downloading)
    } else if msg.contains("Starting the instance")
        || msg.contains("[hostagent] Starting")
        || msg.contains("Using the existing instance")
    {
        Some(Step::Booting)
    } else if msg.contains("Waiting for the essential requirement") {
        Some(Step::WaitingForSsh)
    } else if msg.contains("Waiting for the optional requirement")
        || msg.contains("Waiting for the final requirement")
        || (msg.contains("Forwarding") && msg.contains("docker.sock"))
    {
        Some(Step::WaitingForDocker)
    } else {
        None
    }
}

/// The message of a `level=fatal` line (or `FATA[…]` on a terminal).
pub fn fatal_message(line: &str) -> Option<String> {
    (line.contains("level=fatal") || line.starts_with("FATA["))
        .then(|| message(line).replace("\\\"", "\""))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lima_lines_map_to_steps() {
        let cases = [
            (
                r#"time="t" level=info msg="Attempting to download the image" arch=x86_64"#,
                Some(Step::Downloading),
            ),
            (
                r#"time="t" level=info msg="Starting the instance `dev` with internal VM driver `vz`""#,
                Some(Step::Booting),
            ),
            (
                r#"time="t" level=info msg="[hostagent] Waiting for the essential requirement 1 of 3: \"ssh\"""#,
                Some(Step::WaitingForSsh),
            ),
            (
                "INFO[0012] [hostagent] Waiting for the optional requirement 1 of 1: \"user probe 1/1\"",
                Some(Step::WaitingForDocker),
            ),
            (r#"time="t" level=info msg="SSH Local Port: 60022""#, None),
            ("docker context use lima-dev", None),
        ];
        for (line, step) in cases {
            assert_eq!(step_for(line), step, "{line}");
        }
    }

    #[test]
    fn fatal_lines_give_their_message() {
        assert_eq!(
            fatal_message(r#"time="t" level=fatal msg="instance \"x\" already exists""#).as_deref(),
            Some(r#"instance "x" already exists"#)
        );
        assert_eq!(fatal_message(r#"time="t" level=info msg="fine""#), None);
    }
}
