//! Vietnamese text as people type it: input is normalized to NFC on the way in, and search
//! ignores diacritics and case ("binh lu" finds "Bình Lư").

use unicode_normalization::UnicodeNormalization;
use unicode_normalization::char::is_combining_mark;

/// The NFC form of `text`, trimmed: how every text is stored.
pub fn normalize(text: &str) -> String {
    text.trim().nfc().collect()
}

/// `text` without diacritics, in lower case: what search compares.
pub fn fold(text: &str) -> String {
    text.nfd()
        .filter(|c| !is_combining_mark(*c))
        .map(|c| match c {
            'đ' | 'Đ' => 'd',
            other => other,
        })
        .flat_map(char::to_lowercase)
        .collect()
}

/// The key of the one entry of `entries` that `text` names: its code (`code`, when `text` is
/// one and the entry exists), or its name — `name` of the entry — equal to `text` ignoring
/// diacritics and case, when only one entry has that name.
pub fn find_named<K: Ord + Clone, V>(
    entries: &std::collections::BTreeMap<K, V>,
    code: Option<K>,
    text: &str,
    name: impl Fn(&V) -> &str,
) -> Option<K> {
    if let Some(code) = code.filter(|code| entries.contains_key(code)) {
        return Some(code);
    }
    let folded = fold(text.trim());
    let mut found = entries
        .iter()
        .filter(|(_, entry)| fold(name(entry)) == folded);
    match (found.next(), found.next()) {
        (Some((key, _)), None) => Some(key.clone()),
        _ => None,
    }
}

/// Whether `haystack` contains `needle`, ignoring diacritics and case.
pub fn matches(haystack: &str, needle: &str) -> bool {
    fold(haystack).contains(&fold(needle))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_entry_is_found_by_its_code_or_by_a_name_only_it_has() {
        let people: std::collections::BTreeMap<&str, &str> = [
            ("nguyen-tien-thinh", "Nguyễn Tiến Thịnh"),
            ("lo-van-pao", "Lò Văn Pao"),
            ("lo-van-pao-2", "Lò Văn Pao"),
        ]
        .into_iter()
        .collect();
        fn name<'a>(name: &'a &'static str) -> &'a str {
            name
        }
        assert_eq!(
            find_named(&people, Some("lo-van-pao"), "lo-van-pao", name),
            Some("lo-van-pao")
        );
        assert_eq!(
            find_named(&people, None, "nguyen tien thinh", name),
            Some("nguyen-tien-thinh")
        );
        // Two people share the name: neither is guessed.
        assert_eq!(find_named(&people, None, "Lò Văn Pao", name), None);
        assert_eq!(
            find_named(&people, Some("khong-ai"), "khong-ai", name),
            None
        );
    }

    #[test]
    fn search_ignores_diacritics_and_case() {
        assert!(matches("Xã Bình Lư", "binh lu"));
        assert!(matches("Đảng ủy", "dang uy"));
        assert!(matches("PHÒNG CHỐNG DỊCH", "phong chong"));
        assert!(!matches("Bình Lư", "binh luong"));
    }

    #[test]
    fn input_is_stored_in_nfc() {
        let decomposed = "Bi\u{300}nh";
        assert_eq!(normalize(decomposed), "Bình");
        assert_eq!(normalize("  Bình  "), "Bình");
    }
}
