//! Words of endpoint names, matched whole: `preset` is not `reset`, `badminton` is not `admin`,
//! `administrative-areas` is not `admin` (a place-name API is not an admin console), `checkout`
//! is not `check`. Every check that reads meaning into a path asks here instead of searching
//! substrings.

/// The literal segments of a path or template, lower-cased: `{id}` placeholders and empty
/// segments left out, query dropped.
pub fn segments(path: &str) -> Vec<String> {
    let path = path.split(['?', '#']).next().unwrap_or(path);
    path.split('/').filter(|s| !s.is_empty() && !s.starts_with('{')).map(str::to_ascii_lowercase).collect()
}

/// The last literal segment, lower-cased.
pub fn last_segment(path: &str) -> Option<String> {
    segments(path).pop()
}

/// `listAdminUsers` → `list admin users`; `users:admin` → `users admin`; `check-email` →
/// `check email`; `__debug__` → `debug`.
pub fn words(text: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut word = String::new();
    let mut previous_lower = false;
    for c in text.chars() {
        let boundary = !c.is_ascii_alphanumeric() || (c.is_ascii_uppercase() && previous_lower);
        if boundary && !word.is_empty() {
            out.push(std::mem::take(&mut word));
        }
        if c.is_ascii_alphanumeric() {
            word.push(c.to_ascii_lowercase());
        }
        previous_lower = c.is_ascii_lowercase() || c.is_ascii_digit();
    }
    if !word.is_empty() {
        out.push(word);
    }
    out
}

/// The words of every literal segment of a path.
pub fn path_words(path: &str) -> Vec<String> {
    let path = path.split(['?', '#']).next().unwrap_or(path);
    path.split('/').filter(|s| !s.starts_with('{')).flat_map(words).collect()
}

/// Whether `segment` is `name` or starts with it as a whole word (`admin`, `Admin-API`,
/// `internal_tools`), for names that may themselves hold separators (`__debug__`, `.well-known`).
pub fn segment_is(segment: &str, name: &str) -> bool {
    let s = segment.to_ascii_lowercase();
    s == name || s.strip_prefix(name).is_some_and(|rest| rest.starts_with('-') || rest.starts_with('_'))
}

/// The first of `list` that is a whole word of `text`.
pub fn find_word<'a>(text: &str, list: &[&'a str]) -> Option<&'a str> {
    let words = words(text);
    list.iter().copied().find(|w| words.iter().any(|x| x == w))
}

/// Lower case, letters and digits only: `callback_url`, `callbackUrl` and `Callback-URL` are one name.
pub fn squash(name: &str) -> String {
    name.chars().filter(char::is_ascii_alphanumeric).map(|c| c.to_ascii_lowercase()).collect()
}

static URL_PARAMS: std::sync::LazyLock<Vec<String>> = std::sync::LazyLock::new(|| {
    crate::discovery::data_lines(include_str!("../data/ssrf-params.txt")).map(squash).collect()
});

/// A parameter whose name says it takes a URL the server may fetch (`callback_url`, `webhook`,
/// `imageUri`).
pub fn is_url_param(name: &str) -> bool {
    let n = squash(name);
    URL_PARAMS.contains(&n) || ["url", "uri", "href", "link"].iter().any(|s| n.ends_with(s))
}

struct StateWords {
    /// Never requested with GET, nor by discovery.
    on_get: Vec<&'static str>,
    /// Never requested at all: they end the session the scan runs in.
    always: Vec<&'static str>,
}

static STATE_WORDS: std::sync::LazyLock<StateWords> = std::sync::LazyLock::new(|| {
    let mut words = StateWords { on_get: Vec::new(), always: Vec::new() };
    for line in crate::discovery::data_lines(include_str!("../data/state-changing-words.txt")) {
        match line.strip_prefix('!') {
            Some(word) => words.always.push(word),
            None => words.on_get.push(line),
        }
    }
    words
});

/// A path's words after percent-decoding: `/api/admin/reset%2Ddb` is `/api/admin/reset-db`.
fn decoded_words(path: &str) -> Vec<String> {
    let path = path.split(['?', '#']).next().unwrap_or(path);
    let decoded = url::form_urlencoded::parse(format!("p={}", path.replace('+', "%2B")).as_bytes())
        .next()
        .map_or_else(|| path.to_string(), |(_, v)| v.into_owned());
    path_words(&decoded)
}

/// Last segments that make a path a read of something a state change left behind
/// (`/api/password-reset/status`, `/api/jobs/7/run/history`): the words in front of them name
/// what is read, not what is done.
const READ_NOUNS: &[&str] =
    &["status", "history", "log", "logs", "stats", "summary", "progress", "result", "results", "report", "preview"];

/// True when a GET to `path` may change state (`/cache/clear`, `/api/reset-password`, `/logout`).
/// Whole words only, so ordinary reads stay reachable: `/api/settings`, `/api/activity`,
/// `/api/resets`, `/api/deleted-items`; a path whose last segment is a read noun of its own
/// (`/api/password-reset/status`) is a read too.
pub fn names_state_change(path: &str) -> bool {
    if ends_session(path) {
        return true;
    }
    let literal = segments(path);
    if literal.last().is_some_and(|s| READ_NOUNS.contains(&s.as_str())) {
        return false;
    }
    decoded_words(path).iter().any(|w| STATE_WORDS.on_get.contains(&w.as_str()))
}

/// Query parameters that name the operation a generic endpoint performs.
const ACTION_PARAMS: &[&str] = &["action", "cmd", "command", "op", "operation", "do", "task", "mode"];

/// True when a query string asks for a state change: `?action=delete`, `?cmd=flush`, or a flag
/// named after one (`?reset=1`, `?purge=true`).
pub fn query_names_state_change(query: &str) -> bool {
    let state = &*STATE_WORDS;
    let is_state_word = |w: &str| state.on_get.contains(&w) || state.always.contains(&w);
    url::form_urlencoded::parse(query.as_bytes()).any(|(name, value)| {
        let name = name.to_ascii_lowercase();
        is_state_word(&name)
            || (ACTION_PARAMS.contains(&name.as_str()) && words(&value).iter().any(|w| is_state_word(w)))
    })
}

/// True when any request to `path` would end the scan's own session (`/logout`).
pub fn ends_session(path: &str) -> bool {
    decoded_words(path).iter().any(|w| STATE_WORDS.always.contains(&w.as_str()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn state_changing_paths_are_recognised_by_whole_words() {
        for path in [
            "/logout",
            "/api/admin/reset-db",
            "/api/admin/reset%2Ddb",
            "/init",
            "/api/v1/cache/flush?all=1",
            "/account/delete",
            "/api/cache/clear",
            "/db_init",
            "/createdb",
            "/api/users/7/resetPassword",
            "/users/42/delete",
            "/api/tables/audit/truncate",
            "/api/tokens/9/revoke",
            "/newsletter/unsubscribe",
            "/api/orders/17/cancel",
            "/api/expenses/3/approve",
            "/api/accounts/5/activate",
            "/api/users/create",
            "/api/trash/empty",
            "/api/dev/seed",
            "/api/flushall",
        ] {
            assert!(names_state_change(path), "{path}");
        }
        for path in [
            "/api/presets",
            "/api/users/1",
            "/api/dropdown-options",
            "/api/initials",
            "/",
            "/api/v1/register",
            "/api/settings",
            "/api/activity",
            "/api/activities",
            "/api/resets/history",
            "/api/password-reset/status",
            "/api/deleted-items",
            "/api/orders/cancelled",
            "/api/cancellations",
            "/api/seeds",
            "/api/created",
            "/api/clearances",
            "/api/approvals",
            "/api/runs",
        ] {
            assert!(!names_state_change(path), "{path}");
        }
        assert!(ends_session("/auth/logout"));
        assert!(ends_session("/auth/log%6Fut"), "percent-encoding does not hide a word");
        assert!(!ends_session("/auth/login"));
    }

    #[test]
    fn queries_that_ask_for_a_state_change() {
        for query in ["action=delete", "cmd=flush&id=3", "op=resetAll", "purge=true", "reset=1"] {
            assert!(query_names_state_change(query), "{query}");
        }
        for query in ["", "status=cancelled", "q=drop", "sort=created", "page=2&action=view", "include=deleted"] {
            assert!(!query_names_state_change(query), "{query}");
        }
    }

    #[test]
    fn whole_words_only() {
        assert_eq!(find_word("preset", &["reset"]), None);
        assert_eq!(find_word("password-reset", &["reset"]), Some("reset"));
        assert_eq!(find_word("resetPassword", &["reset"]), Some("reset"));
        assert_eq!(find_word("checkout", &["check"]), None);
        assert_eq!(find_word("check_email", &["check"]), Some("check"));
        assert!(!path_words("/api/administrative-areas").contains(&"admin".to_string()));
        assert!(path_words("/api/admin/users/{id}").contains(&"admin".to_string()));
        assert!(!segment_is("badminton", "admin"));
        assert!(segment_is("Admin-API", "admin"));
        assert!(segment_is("__debug__", "__debug__"));
    }

    #[test]
    fn segments_skip_placeholders_and_queries() {
        assert_eq!(segments("/api/users/{id}/profile?x=1"), vec!["api", "users", "profile"]);
        assert_eq!(last_segment("/api/me/"), Some("me".to_string()));
    }
}
