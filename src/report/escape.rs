//! Makes text from the network safe for a terminal.
//!
//! SNI, ALPN and certificate names are chosen by whoever is on the network. Before they reach a
//! terminal, control characters (C0, DEL, C1: ESC sequences that move the cursor or change
//! colors), bidirectional overrides and other invisible formatting characters are written as
//! visible escapes (`\x1b`, `\u{202e}`), and backslashes are doubled so that the escaping is
//! unambiguous. JSON output does not use this: serde_json keeps the text exactly, JSON-escaped.

use std::borrow::Cow;

fn needs_escape(c: char) -> bool {
    c.is_control()
        || c == '\\'
        || matches!(c,
            '\u{200b}'..='\u{200f}' | '\u{2028}'..='\u{202e}' | '\u{2060}'..='\u{2069}'
            | '\u{feff}' | '\u{fff9}'..='\u{fffb}')
}

/// Returns `s` with every character that could act on a terminal written as a visible escape.
pub fn terminal(s: &str) -> Cow<'_, str> {
    if !s.chars().any(needs_escape) {
        return Cow::Borrowed(s);
    }
    let mut out = String::with_capacity(s.len() + 8);
    for c in s.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            c if (c as u32) < 0x100 && needs_escape(c) => {
                out.push_str(&format!("\\x{:02x}", c as u32))
            }
            c if needs_escape(c) => out.push_str(&format!("\\u{{{:x}}}", c as u32)),
            c => out.push(c),
        }
    }
    Cow::Owned(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_controls_and_bidi() {
        assert_eq!(terminal("example.com"), "example.com");
        assert_eq!(terminal("a\x1b[31mb"), "a\\x1b[31mb");
        assert_eq!(terminal("evil\u{202e}moc.x"), "evil\\u{202e}moc.x");
        assert_eq!(terminal("nul\0"), "nul\\x00");
        assert_eq!(terminal("c1\u{9b}"), "c1\\x9b");
        assert_eq!(terminal("back\\slash"), "back\\\\slash");
        assert_eq!(terminal("ünïcode.test"), "ünïcode.test");
    }
}
