//! "did you mean `x`?" for misspelled keys, enum values and names.

/// Past these, a name is no typo of a known one and the search stops: the
/// work per call stays bounded however large the descriptor.
const MAX_LEN: usize = 64;
const MAX_CANDIDATES: usize = 1000;

/// The closest candidate, if it is close enough to be a likely typo.
pub fn did_you_mean<'a>(input: &str, candidates: impl IntoIterator<Item = &'a str>) -> Option<&'a str> {
    if input.len() > MAX_LEN * 4 || input.chars().count() > MAX_LEN {
        return None;
    }
    let input_lower = input.to_lowercase();
    let input_len = input_lower.chars().count();
    candidates
        .into_iter()
        .take(MAX_CANDIDATES)
        .filter_map(|c| {
            let len = c.chars().count();
            let allowed = (len.max(3) / 3).max(1);
            // The distance is at least the difference in length: skip early.
            if len > MAX_LEN || len.abs_diff(input_len) > allowed {
                return None;
            }
            let distance = strsim::damerau_levenshtein(&input_lower, &c.to_lowercase());
            (distance <= allowed).then_some((distance, c))
        })
        .min_by_key(|(distance, _)| *distance)
        .map(|(_, c)| c)
}

#[cfg(test)]
mod tests {
    use super::did_you_mean;

    #[test]
    fn suggests_close_names_only() {
        let keys = ["services", "postgres", "cache", "broker"];
        assert_eq!(did_you_mean("servics", keys), Some("services"));
        assert_eq!(did_you_mean("cahce", keys), Some("cache"));
        assert_eq!(did_you_mean("Postgres", keys), Some("postgres"));
        assert_eq!(did_you_mean("zzz", keys), None);
        assert_eq!(
            did_you_mean("redsi", ["none", "database", "memcached", "redis"]),
            Some("redis")
        );
    }
}
