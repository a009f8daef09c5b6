//! Well-known credential shapes, for `secret-literal`: a value holding one is
//! a secret whatever its variable is called, and so is a command holding one.
//!
//! SOURCE: the shapes follow the default rule set of gitleaks
//! (https://github.com/gitleaks/gitleaks, `config/gitleaks.toml`, MIT
//! licence, Copyright (c) 2019 Zachary Rice), rules `github-pat`,
//! `github-oauth`, `github-app-token`, `github-refresh-token`,
//! `github-fine-grained-pat`, `stripe-access-token`, `slack-bot-token` and
//! the other `slack-*-token` rules, `slack-webhook-url`, `aws-access-token`
//! (with its `…EXAMPLE` allowance) and `private-key`. They are written here
//! as plain matchers (prefix, alphabet, length), not copied expressions.

/// The name of the shape `text` holds somewhere, if any.
pub fn token_shape(text: &str) -> Option<&'static str> {
    let bytes = text.as_bytes();
    for (start, _) in text.char_indices() {
        // A token starts a word: `xghp_…` is not a GitHub token.
        if start > 0 && is_word(bytes[start - 1]) {
            continue;
        }
        let rest = &text[start..];
        if let Some(name) = shape_at(rest) {
            return Some(name);
        }
    }
    private_key(text)
}

fn is_word(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b == b'_'
}

fn alnum(b: u8) -> bool {
    b.is_ascii_alphanumeric()
}

/// How many leading bytes of `s` satisfy `ok`.
fn run(s: &str, ok: impl Fn(u8) -> bool) -> usize {
    s.bytes().take_while(|b| ok(*b)).count()
}

fn shape_at(s: &str) -> Option<&'static str> {
    // GitHub: `ghp_`/`gho_`/`ghu_`/`ghs_`/`ghr_` and 36 letters or digits.
    for prefix in ["ghp_", "gho_", "ghu_", "ghs_", "ghr_"] {
        if let Some(tail) = s.strip_prefix(prefix) {
            if run(tail, alnum) == 36 {
                return Some("a GitHub token");
            }
        }
    }
    // GitHub fine-grained personal access token: 82 word characters.
    if let Some(tail) = s.strip_prefix("github_pat_") {
        if run(tail, is_word) >= 82 {
            return Some("a GitHub token");
        }
    }
    // Stripe secret and restricted keys (never the publishable `pk_`).
    for kind in ["sk_", "rk_"] {
        if let Some(tail) = s.strip_prefix(kind) {
            for mode in ["test_", "live_", "prod_"] {
                if let Some(key) = tail.strip_prefix(mode) {
                    if (10..=99).contains(&run(key, alnum)) {
                        return Some("a Stripe secret key");
                    }
                }
            }
        }
    }
    // Slack tokens: `xoxb-`, `xoxa-`, `xoxp-`, `xoxr-`, `xoxs-`, `xoxe-`.
    if let Some(tail) = s.strip_prefix("xox") {
        let mut chars = tail.bytes();
        if matches!(chars.next(), Some(b'b' | b'a' | b'p' | b'r' | b's' | b'e'))
            && chars.next() == Some(b'-')
            && run(&tail[2..], |b| alnum(b) || b == b'-') >= 10
        {
            return Some("a Slack token");
        }
    }
    // Slack webhook URLs.
    for path in ["services/", "workflows/", "triggers/"] {
        for host in [
            "https://hooks.slack.com/",
            "http://hooks.slack.com/",
            "hooks.slack.com/",
        ] {
            if let Some(tail) = s.strip_prefix(host).and_then(|t| t.strip_prefix(path)) {
                if run(tail, |b| alnum(b) || b == b'/' || b == b'+' || b == b'_') >= 20 {
                    return Some("a Slack webhook URL");
                }
            }
        }
    }
    // AWS access key ids: a known prefix and 16 of A-Z, 2-7 (the
    // documentation's `…EXAMPLE` keys are allowed, as gitleaks allows them).
    let aws = ["AKIA", "ASIA", "ABIA", "ACCA"]
        .iter()
        .find_map(|p| s.strip_prefix(p))
        .or_else(|| {
            s.strip_prefix("A3T")
                .filter(|t| {
                    t.bytes()
                        .next()
                        .is_some_and(|b| b.is_ascii_uppercase() || b.is_ascii_digit())
                })
                .map(|t| &t[1..])
        });
    if let Some(tail) = aws {
        let n = run(tail, |b| b.is_ascii_uppercase() || (b'2'..=b'7').contains(&b));
        if n == 16 && !is_word(tail.as_bytes().get(16).copied().unwrap_or(b' ')) && !tail[..16].ends_with("EXAMPLE") {
            return Some("an AWS access key");
        }
    }
    None
}

/// A PEM private key block: `-----BEGIN … PRIVATE KEY-----`.
fn private_key(text: &str) -> Option<&'static str> {
    let at = text.find("-----BEGIN")?;
    let line = text[at..].lines().next().unwrap_or_default();
    (line.contains("PRIVATE KEY-----")).then_some("a private key")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn well_known_tokens_are_found_and_look_alikes_are_not() {
        let found = [
            concat!("ghp_", "aBcDeFgHiJkLmNoPqRsTuVwXyZ0123456789"),
            concat!("token=gho_", "aBcDeFgHiJkLmNoPqRsTuVwXyZ0123456789 x"),
            concat!(
                "github_pat_",
                "11ABCDEFG0123456789_abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789abcd"
            ),
            concat!("sk_live_", "4eC39HqLyjWDarjtT1zdp7dc"),
            concat!("rk_live_", "4eC39HqLyjWDarjtT1zdp7dc"),
            concat!("xoxb-", "1234567890-1234567890-abcdefABCDEF"),
            concat!(
                "https://hooks.slack.com/services/",
                "T00000000/B00000000/XXXXXXXXXXXXXXXXXXXXXXXX"
            ),
            concat!("AKIA", "IOSFODNN7ABCDEFG"),
            "-----BEGIN RSA PRIVATE KEY-----\nMIIE...",
            "-----BEGIN OPENSSH PRIVATE KEY-----",
        ];
        for text in found {
            assert!(token_shape(text).is_some(), "{text}");
        }
        let not_found = [
            "ghp_short",
            concat!("xghp_", "aBcDeFgHiJkLmNoPqRsTuVwXyZ0123456789"),
            concat!("pk_live_", "4eC39HqLyjWDarjtT1zdp7dc"),
            concat!("AKIA", "IOSFODNN7EXAMPLE"),
            "xoxb-short",
            "https://hooks.slack.com/",
            "-----BEGIN PUBLIC KEY-----",
            "redis://cache:6379/0",
            "gunicorn app:app --bind 0.0.0.0:8000",
        ];
        for text in not_found {
            assert!(token_shape(text).is_none(), "{text}");
        }
    }
}
