//! Paths written in code (`a::b::c`), and the inline modules (`mod tests { .. }`) a file holds.

fn is_ident(c: char) -> bool {
    c.is_alphanumeric() || c == '_'
}

/// Every path of two or more segments written in `code` (already blanked by `lex::code`), with
/// `use` groups expanded (`a::{b, c::d}` gives `a::b` and `a::c::d`, `a::{self}` gives `a`) and
/// a glob (`a::*`) giving `a`.
pub(crate) fn paths(code: &str) -> Vec<Vec<String>> {
    let chars: Vec<char> = code.chars().collect();
    let mut out = Vec::new();
    collect(&chars, &mut out);
    out
}

fn collect(chars: &[char], out: &mut Vec<Vec<String>>) {
    let mut i = 0;
    while i < chars.len() {
        if !is_ident(chars[i]) || (i > 0 && (is_ident(chars[i - 1]) || chars[i - 1] == ':')) {
            i += 1;
            continue;
        }
        let mut prefix = Vec::new();
        let mut j = i;
        loop {
            let start = j;
            while j < chars.len() && is_ident(chars[j]) {
                j += 1;
            }
            prefix.push(chars[start..j].iter().collect::<String>());
            if chars.get(j) == Some(&':') && chars.get(j + 1) == Some(&':') {
                j += 2;
                while chars.get(j).is_some_and(|c| c.is_whitespace()) {
                    j += 1;
                }
                match chars.get(j) {
                    Some('{') => {
                        let close = matching_brace(chars, j);
                        for member in members(&chars[j + 1..close]) {
                            for tail in member_paths(&member) {
                                let mut full = prefix.clone();
                                full.extend(tail);
                                out.push(full);
                            }
                        }
                        j = close + 1;
                        prefix.clear();
                        break;
                    }
                    Some('*') => {
                        // A glob imports from the module it names.
                        prefix.push(String::new());
                        j += 1;
                        break;
                    }
                    Some(&c) if is_ident(c) => continue,
                    _ => break,
                }
            }
            break;
        }
        prefix.retain(|s| !s.is_empty());
        if prefix.len() > 1 || (prefix.len() == 1 && chars.get(j - 1) == Some(&'*')) {
            out.push(prefix);
        }
        i = j.max(i + 1);
    }
}

/// The index of the brace closing the one at `open` (the end of `chars` when unbalanced).
pub(crate) fn matching_brace(chars: &[char], open: usize) -> usize {
    let mut depth = 0usize;
    for (k, c) in chars.iter().enumerate().skip(open) {
        match c {
            '{' => depth += 1,
            '}' => {
                depth = depth.saturating_sub(1);
                if depth == 0 {
                    return k;
                }
            }
            _ => {}
        }
    }
    chars.len().saturating_sub(1)
}

/// The comma-separated members of a `use` group, nested groups kept whole.
fn members(inner: &[char]) -> Vec<String> {
    let mut depth = 0;
    let mut member = String::new();
    let mut out = Vec::new();
    for &c in inner {
        match c {
            '{' => depth += 1,
            '}' => depth -= 1,
            ',' if depth == 0 => {
                out.push(std::mem::take(&mut member));
                continue;
            }
            _ => {}
        }
        member.push(c);
    }
    out.push(member);
    out
}

/// The paths one group member adds to its prefix: `b::c` gives `[b, c]`, a single name (`b`,
/// `B as C`) `[b]`, `self` the prefix itself, `*` the prefix (a glob).
fn member_paths(member: &str) -> Vec<Vec<String>> {
    let member = member.trim();
    let chars: Vec<char> = member.chars().collect();
    let mut tails = Vec::new();
    collect(&chars, &mut tails);
    if tails.is_empty()
        && let Some(name) = member.split_whitespace().next()
    {
        if name == "self" || name == "*" {
            tails.push(Vec::new());
        } else if name.chars().all(is_ident) {
            tails.push(vec![name.to_owned()]);
        }
    }
    tails
}

/// An inline module of a file: its name and the byte range of its body (between the braces).
pub(crate) struct Inline {
    pub(crate) name: String,
    pub(crate) body: std::ops::Range<usize>,
}

/// The inline modules at the top level of `code` (`mod name { .. }`; nested ones are found by
/// looking at a body again).
pub(crate) fn inline_modules(code: &str) -> Vec<Inline> {
    let chars: Vec<char> = code.chars().collect();
    let mut out = Vec::new();
    let mut i = 0;
    while i + 3 < chars.len() {
        let starts_word = i == 0 || !is_ident(chars[i - 1]);
        if starts_word && chars[i..i + 3] == ['m', 'o', 'd'] && chars[i + 3].is_whitespace() {
            let mut j = i + 3;
            while chars.get(j).is_some_and(|c| c.is_whitespace()) {
                j += 1;
            }
            let name_start = j;
            while chars.get(j).is_some_and(|&c| is_ident(c)) {
                j += 1;
            }
            let name: String = chars[name_start..j].iter().collect();
            while chars.get(j).is_some_and(|c| c.is_whitespace()) {
                j += 1;
            }
            if !name.is_empty() && chars.get(j) == Some(&'{') {
                let close = matching_brace(&chars, j);
                out.push(Inline {
                    name,
                    body: byte(&chars, j + 1)..byte(&chars, close),
                });
                i = close + 1;
                continue;
            }
        }
        i += 1;
    }
    out
}

fn byte(chars: &[char], index: usize) -> usize {
    chars[..index.min(chars.len())]
        .iter()
        .map(|c| c.len_utf8())
        .sum()
}

#[cfg(test)]
mod tests {
    use super::{inline_modules, paths};

    fn strings(paths: Vec<Vec<String>>) -> Vec<String> {
        paths.into_iter().map(|p| p.join("::")).collect()
    }

    #[test]
    fn groups_globs_and_inline_paths() {
        let code = "use crate::{a, b::{c, d::E}, self};\nuse super::*;\nlet x = f::g::h(y::Z);";
        assert_eq!(
            strings(paths(code)),
            [
                "crate::a",
                "crate::b::c",
                "crate::b::d::E",
                "crate",
                "super",
                "f::g::h",
                "y::Z"
            ]
        );
    }

    #[test]
    fn inline_module_names_and_bodies() {
        let code = "fn run() {}\n#[cfg(test)]\nmod tests {\n    use super::run;\n    fn t() {}\n}\nmod file;";
        let inline = inline_modules(code);
        assert_eq!(inline.len(), 1);
        assert_eq!(inline[0].name, "tests");
        assert!(code[inline[0].body.clone()].contains("use super::run;"));
    }
}
