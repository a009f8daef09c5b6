//! Carrying the jobs that wait for later (scheduled, retried, dead) from one
//! Redis to another while both exist (issue 19, L3). A drain empties what is
//! due now; what a queue keeps for later stays behind unless it is copied.
//! Where a kind keeps those jobs in plain keys, the copy is key by key with
//! redis-cli: DUMP on the old server, RESTORE on the new one, merged into a
//! key the new side already has (jobs the app enqueued since the switch).

/// How a queue kind's jobs for later reach another Redis.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Carry {
    /// The keys (redis-cli `--scan` patterns) that hold them, and what they are.
    Keys {
        patterns: &'static [&'static str],
        what: &'static str,
    },
    /// No safe key copy: why, in the notes' words.
    Cannot(&'static str),
}

/// The shell lines that copy every key matching `patterns` from
/// `$OLD_REDIS_URL` to `$NEW_REDIS_URL`: zsets, sets, lists and hashes merge
/// into a key the new side already has, anything else is copied only where the
/// new side has no such key. Needs bash, GNU `head` and redis-cli 6 or later
/// (`-u` takes `rediss://` URLs).
pub fn script(patterns: &[&str]) -> Vec<String> {
    let mut lines = vec![
        "export OLD_REDIS_URL='<old Redis URL>' NEW_REDIS_URL='<new Redis URL>'".to_string(),
        FUNCTIONS.to_string(),
    ];
    lines.extend(patterns.iter().map(|p| format!("carry '{p}'")));
    lines
}

/// `carry PATTERN`, on one line so that it pastes as one command.
const FUNCTIONS: &str = "from_old() { redis-cli --no-auth-warning -u \"$OLD_REDIS_URL\" \"$@\"; }; \
to_new() { redis-cli --no-auth-warning -u \"$NEW_REDIS_URL\" \"$@\"; }; \
carry() { for k in $(from_old --scan --pattern \"$1\"); do \
t=$(from_old TYPE \"$k\"); p=$(from_old PTTL \"$k\"); [ \"$p\" -gt 0 ] || p=0; \
if [ \"$(to_new EXISTS \"$k\")\" = 0 ]; then from_old --raw DUMP \"$k\" | head -c -1 | to_new -x RESTORE \"$k\" \"$p\" >/dev/null && echo \"carried $k\"; continue; fi; \
to_new DEL deploygen:carry >/dev/null; from_old --raw DUMP \"$k\" | head -c -1 | to_new -x RESTORE deploygen:carry 0 >/dev/null; \
case \"$t\" in \
zset) to_new ZUNIONSTORE \"$k\" 2 \"$k\" deploygen:carry AGGREGATE MIN >/dev/null;; \
set) to_new SUNIONSTORE \"$k\" \"$k\" deploygen:carry >/dev/null;; \
list) to_new EVAL \"local v = redis.call('LPOP', KEYS[1]) while v do redis.call('RPUSH', KEYS[2], v) v = redis.call('LPOP', KEYS[1]) end\" 2 deploygen:carry \"$k\" >/dev/null;; \
hash) to_new EVAL \"local f = redis.call('HGETALL', KEYS[1]) for i = 1, #f, 2 do redis.call('HSETNX', KEYS[2], f[i], f[i + 1]) end\" 2 deploygen:carry \"$k\" >/dev/null;; \
*) echo \"kept the new side's $k ($t)\"; to_new DEL deploygen:carry >/dev/null; continue;; esac; \
to_new DEL deploygen:carry >/dev/null; echo \"merged $k\"; done; }";
