//! Text preparation: the single function that turns a product's raw fields into model text.
//!
//! Training and serving both call [`prepare_text`]; the artifact records [`PREPARATION_VERSION`] and loading
//! refuses a model prepared differently, so the two can never drift apart.

use unicode_normalization::UnicodeNormalization;
use unicode_normalization::char::is_combining_mark;

/// Bump whenever the output of [`prepare_text`] changes for any input.
pub const PREPARATION_VERSION: u32 = 1;

/// Designation and description combined, HTML decoded and stripped, NFKC, lower-cased, accents folded,
/// whitespace collapsed.
pub fn prepare_text(designation: &str, description: &str) -> String {
    let mut combined = String::with_capacity(designation.len() + description.len() + 1);
    combined.push_str(designation);
    combined.push(' ');
    combined.push_str(description);
    // Descriptions are often double-encoded (`&amp;eacute;`): decode, strip the tags, decode once more.
    let decoded = html_escape::decode_html_entities(&combined);
    let stripped = strip_tags(&decoded);
    let decoded = html_escape::decode_html_entities(&stripped);
    let mut out = String::with_capacity(decoded.len());
    let mut pending_space = false;
    for c in decoded.nfkc().flat_map(char::to_lowercase).nfd() {
        if is_combining_mark(c) {
            continue;
        }
        if c.is_whitespace() || c.is_control() {
            pending_space = !out.is_empty();
            continue;
        }
        if pending_space {
            out.push(' ');
            pending_space = false;
        }
        match c {
            'œ' => out.push_str("oe"),
            'æ' => out.push_str("ae"),
            'ß' => out.push_str("ss"),
            'ø' => out.push('o'),
            'đ' => out.push('d'),
            'ł' => out.push('l'),
            _ => out.push(c),
        }
    }
    out
}

/// Replaces every HTML tag (`<p>`, `</b>`, `<br/>`, `<!-- -->`) by a space; a lone `<` stays text.
fn strip_tags(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut chars = text.char_indices().peekable();
    while let Some((i, c)) = chars.next() {
        let opens_tag = c == '<'
            && text[i + 1..]
                .chars()
                .next()
                .is_some_and(|n| n.is_ascii_alphabetic() || n == '/' || n == '!');
        if opens_tag {
            if let Some(end) = text[i..].find('>') {
                out.push(' ');
                while chars.peek().is_some_and(|&(j, _)| j <= i + end) {
                    chars.next();
                }
                continue;
            }
        }
        out.push(c);
    }
    out
}

/// Words of prepared text: maximal runs of alphanumeric characters.
pub(crate) fn words(prepared: &str) -> impl Iterator<Item = &str> {
    prepared
        .split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn strips_html_and_decodes_entities() {
        let text = prepare_text("Château &amp; Cie", "<p>Très <b>BEAU</b> vélo&nbsp;!</p><br/>");
        assert_eq!(text, "chateau & cie tres beau velo !");
    }

    #[test]
    fn decodes_double_encoded_entities() {
        assert_eq!(prepare_text("caf&amp;eacute;", ""), "cafe");
    }

    #[test]
    fn nfkc_ligatures_and_case() {
        assert_eq!(prepare_text("ﬁlm ŒUVRE Ｔｅｓｔ", ""), "film oeuvre test");
    }

    #[test]
    fn keeps_lone_angle_brackets_and_collapses_whitespace() {
        assert_eq!(prepare_text("a < b", "\n\t  c  "), "a < b c");
    }

    #[test]
    fn empty_fields_give_empty_text() {
        assert_eq!(prepare_text("", ""), "");
        assert_eq!(prepare_text("<p></p>", "   "), "");
    }

    #[test]
    fn words_split_on_punctuation() {
        let w: Vec<_> = words("jeu-video x2, 3d").collect();
        assert_eq!(w, ["jeu", "video", "x2", "3d"]);
    }
}
