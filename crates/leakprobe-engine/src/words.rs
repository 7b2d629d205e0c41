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

/// True when a GET to `path` may change state (`/cache/clear`, `/api/reset-password`, `/logout`).
pub fn names_state_change(path: &str) -> bool {
    let words = &*STATE_WORDS;
    path_words(path).iter().any(|w| words.on_get.contains(&w.as_str()) || words.always.contains(&w.as_str()))
}

/// True when any request to `path` would end the scan's own session (`/logout`).
pub fn ends_session(path: &str) -> bool {
    path_words(path).iter().any(|w| STATE_WORDS.always.contains(&w.as_str()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn state_changing_paths_are_recognised_by_whole_words() {
        for path in [
            "/logout",
            "/api/admin/reset-db",
            "/init",
            "/api/v1/cache/flush?all=1",
            "/account/delete",
            "/api/cache/clear",
            "/db_init",
            "/createdb",
            "/api/users/7/resetPassword",
        ] {
            assert!(names_state_change(path), "{path}");
        }
        for path in ["/api/presets", "/api/users/1", "/api/dropdown-options", "/api/initials", "/", "/api/v1/register"]
        {
            assert!(!names_state_change(path), "{path}");
        }
        assert!(ends_session("/auth/logout"));
        assert!(!ends_session("/auth/login"));
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
