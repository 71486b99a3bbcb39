//! The code of a file with comments, string and character literals blanked out: doc comments
//! name paths without importing them, and a brace or `//` inside a string must not end a module
//! or a line early. Blanking keeps every other character where it was.

/// `text` with every comment and literal replaced by spaces (newlines kept).
pub(crate) fn code(text: &str) -> String {
    let chars: Vec<char> = text.chars().collect();
    let mut out = String::with_capacity(text.len());
    let mut i = 0;
    let blank = |out: &mut String, c: char| out.push(if c == '\n' { '\n' } else { ' ' });
    while i < chars.len() {
        let c = chars[i];
        let next = chars.get(i + 1).copied();
        if c == '/' && next == Some('/') {
            while i < chars.len() && chars[i] != '\n' {
                blank(&mut out, chars[i]);
                i += 1;
            }
        } else if c == '/' && next == Some('*') {
            // Block comments nest in Rust.
            let mut depth = 0;
            while i < chars.len() {
                if chars[i] == '/' && chars.get(i + 1) == Some(&'*') {
                    depth += 1;
                    out.push_str("  ");
                    i += 2;
                } else if chars[i] == '*' && chars.get(i + 1) == Some(&'/') {
                    depth -= 1;
                    out.push_str("  ");
                    i += 2;
                    if depth == 0 {
                        break;
                    }
                } else {
                    blank(&mut out, chars[i]);
                    i += 1;
                }
            }
        } else if let Some(hashes) = raw_string_start(&chars, i) {
            // r"..", r#".."#, br#".."#: ends at a quote followed by as many hashes.
            let open = i + usize::from(chars[i] == 'b') + 1 + hashes + 1;
            out.extend(std::iter::repeat_n(' ', open - i));
            i = open;
            while i < chars.len() {
                if chars[i] == '"' && (1..=hashes).all(|h| chars.get(i + h) == Some(&'#')) {
                    out.extend(std::iter::repeat_n(' ', hashes + 1));
                    i += hashes + 1;
                    break;
                }
                blank(&mut out, chars[i]);
                i += 1;
            }
        } else if c == '"' && !ident_before(&chars, i) {
            out.push(' ');
            i += 1;
            while i < chars.len() && chars[i] != '"' {
                if chars[i] == '\\' {
                    blank(&mut out, chars[i]);
                    i += 1;
                }
                if let Some(&c) = chars.get(i) {
                    blank(&mut out, c);
                }
                i += 1;
            }
            out.push(' ');
            i += 1;
        } else if c == '\'' && char_literal_len(&chars, i).is_some() {
            let len = char_literal_len(&chars, i).unwrap_or(1);
            out.extend(std::iter::repeat_n(' ', len));
            i += len;
        } else {
            out.push(c);
            i += 1;
        }
    }
    out
}

fn is_ident(c: char) -> bool {
    c.is_alphanumeric() || c == '_'
}

/// Whether an identifier character precedes `i` (`b"` and `c"` prefixes are handled as part of
/// the literal by skipping only the quote).
fn ident_before(chars: &[char], i: usize) -> bool {
    i > 0 && is_ident(chars[i - 1]) && !matches!(chars[i - 1], 'b' | 'c')
}

/// The number of hashes when a raw string starts at `i`.
fn raw_string_start(chars: &[char], i: usize) -> Option<usize> {
    if i > 0 && is_ident(chars[i - 1]) {
        return None;
    }
    let mut j = i;
    if chars.get(j) == Some(&'b') || chars.get(j) == Some(&'c') {
        j += 1;
    }
    if chars.get(j) != Some(&'r') {
        return None;
    }
    j += 1;
    let mut hashes = 0;
    while chars.get(j) == Some(&'#') {
        hashes += 1;
        j += 1;
    }
    (chars.get(j) == Some(&'"')).then_some(hashes)
}

/// The length of a character literal at `i` (`'a'`, `'\n'`, `'\u{1F600}'`); `None` for a
/// lifetime or label (`'a`, `'static`).
fn char_literal_len(chars: &[char], i: usize) -> Option<usize> {
    match chars.get(i + 1)? {
        '\\' => {
            let mut j = i + 2;
            while j < chars.len() && chars[j] != '\'' && j < i + 12 {
                j += 1;
            }
            (chars.get(j) == Some(&'\'')).then_some(j - i + 1)
        }
        _ => (chars.get(i + 2) == Some(&'\'')).then_some(3),
    }
}

#[cfg(test)]
mod tests {
    use super::code;

    #[test]
    fn comments_strings_and_chars_are_blanked_lifetimes_kept() {
        let text = "use a::b; // c::d\nlet s = \"x::y { //\"; /* e::f /* g */ */ let c = '{';\n\
                    fn f<'a>(x: &'a str) {} let r = r#\"h::i\"#; let q = '\\'';";
        let out = code(text);
        assert_eq!(out.len(), text.len());
        assert!(out.contains("use a::b;"));
        assert!(!out.contains("c::d") && !out.contains("x::y") && !out.contains("e::f"));
        assert!(!out.contains("h::i"));
        assert!(out.contains("fn f<'a>(x: &'a str) {}"));
        assert_eq!(out.matches('{').count(), 1, "{out}");
    }
}
