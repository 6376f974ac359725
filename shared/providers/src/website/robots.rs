//! robots.txt as RFC 9309 says to read it (https://www.rfc-editor.org/rfc/rfc9309): 4xx allows all, 5xx disallows all.

use texting_robots::Robot;

/// The product token robots.txt groups are matched against.
pub(crate) const AGENT_TOKEN: &str = "shadowhunter";
/// RFC 9309 §2.5: crawlers must parse at least 500 KiB.
pub(crate) const MAX_ROBOTS_BYTES: usize = 500 * 1024;

/// What a site's robots.txt lets this crawler fetch.
pub(crate) enum Robots {
    /// No usable robots.txt (4xx): everything may be fetched.
    AllowAll,
    /// The rules of a fetched robots.txt.
    Rules(Box<Robot>),
}

impl Robots {
    /// Reads a robots.txt body; one that cannot be parsed restricts nothing.
    pub(crate) fn parse(body: &[u8]) -> Self {
        let body = &body[..body.len().min(MAX_ROBOTS_BYTES)];
        match Robot::new(AGENT_TOKEN, body) {
            Ok(robot) => Robots::Rules(Box::new(robot)),
            Err(err) => {
                tracing::debug!(error = %err, "unparseable robots.txt, treating as allow-all");
                Robots::AllowAll
            }
        }
    }

    pub(crate) fn allowed(&self, url: &str) -> bool {
        match self {
            Robots::AllowAll => true,
            Robots::Rules(robot) => robot.allowed(url),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rules_for_this_agent_and_for_everyone_apply() {
        let robots =
            Robots::parse(b"User-agent: *\nDisallow: /private\n\nUser-agent: shadowhunter\nDisallow: /contact\n");
        assert!(!robots.allowed("http://acme.example/contact"));
        assert!(robots.allowed("http://acme.example/about"));
        let everyone = Robots::parse(b"User-agent: *\nDisallow: /private\n");
        assert!(!everyone.allowed("http://acme.example/private/x"));
        assert!(everyone.allowed("http://acme.example/"));
    }
}
