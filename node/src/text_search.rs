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

/// Whether `haystack` contains `needle`, ignoring diacritics and case.
pub fn matches(haystack: &str, needle: &str) -> bool {
    fold(haystack).contains(&fold(needle))
}

#[cfg(test)]
mod tests {
    use super::*;

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
