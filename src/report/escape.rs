//! Strings from the wire (DNS names, SNI, Host headers, URIs, reason phrases, certificate
//! subjects) are attacker-controlled and end up inside titles, notes and filters. Each
//! renderer passes everything it prints through the escaper of its medium.

use std::fmt::Write;

/// For a terminal: control characters (C0, DEL, C1, so escape sequences too) and Unicode
/// bidirectional overrides become visible `\xNN` / `\u{NNNN}` escapes; nothing can move the
/// cursor, change colours or reorder text.
pub fn terminal(s: &str) -> String {
    let mut o = String::with_capacity(s.len());
    for c in s.chars() {
        if c.is_control() && c != '\n' {
            let _ = write!(o, "\\x{:02x}", c as u32);
        } else if is_bidi_control(c) {
            let _ = write!(o, "\\u{{{:04x}}}", c as u32);
        } else {
            o.push(c);
        }
    }
    o
}

/// Unicode format characters that reorder or hide text (Trojan Source, CVE-2021-42574).
fn is_bidi_control(c: char) -> bool {
    matches!(c, '\u{200e}' | '\u{200f}' | '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}')
}

/// For Markdown text (paragraphs, list items, table cells): the terminal escapes, then every
/// character Markdown or HTML gives a meaning is backslash-escaped or turned into an entity,
/// so a name cannot open a link, a table column, an emphasis or a raw HTML tag.
pub fn markdown(s: &str) -> String {
    let mut o = String::with_capacity(s.len());
    for c in terminal(s).chars() {
        match c {
            '<' => o.push_str("&lt;"),
            '>' => o.push_str("&gt;"),
            '&' => o.push_str("&amp;"),
            '|' => o.push_str("\\|"),
            '\n' => o.push(' '),
            // Brackets escaped, parentheses cannot make a link; `#` and `!` matter only at a
            // line start or before `[`, which a rendered value never is.
            '\\' | '`' | '*' | '_' | '[' | ']' | '~' => {
                o.push('\\');
                o.push(c);
            }
            _ => o.push(c),
        }
    }
    o
}

/// A Markdown code span holding `s` verbatim (a Wireshark filter): fenced with more backticks
/// than `s` contains in a row, and padded when `s` starts or ends with one. Pipes are
/// escaped, as a table cell would otherwise end at them.
pub fn markdown_code(s: &str) -> String {
    let s = terminal(s).replace('\n', " ");
    let mut longest = 0;
    let mut run = 0;
    for c in s.chars() {
        run = if c == '`' { run + 1 } else { 0 };
        longest = longest.max(run);
    }
    let fence = "`".repeat(longest + 1);
    let pad = if s.starts_with('`') || s.ends_with('`') { " " } else { "" };
    format!("{fence}{pad}{}{pad}{fence}", s.replace('|', "\\|"))
}

/// For HTML text and attribute values: the five characters HTML gives a meaning become
/// entities, and control characters become visible escapes.
pub fn html(s: &str) -> String {
    let mut o = String::with_capacity(s.len());
    for c in terminal(s).chars() {
        match c {
            '<' => o.push_str("&lt;"),
            '>' => o.push_str("&gt;"),
            '&' => o.push_str("&amp;"),
            '"' => o.push_str("&quot;"),
            '\'' => o.push_str("&#39;"),
            _ => o.push(c),
        }
    }
    o
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escape_sequences_never_reach_a_terminal() {
        assert_eq!(terminal("/x\u{1b}[2J<b>"), "/x\\x1b[2J<b>");
        assert_eq!(terminal("a\u{9b}b\u{7f}"), "a\\x9bb\\x7f");
        assert_eq!(terminal("ab\u{202e}cd"), "ab\\u{202e}cd");
    }

    #[test]
    fn markdown_cannot_be_broken_out_of() {
        assert_eq!(
            markdown("a|b [x](javascript:alert(1)) <script>"),
            "a\\|b \\[x\\](javascript:alert(1)) &lt;script&gt;"
        );
        assert_eq!(markdown_code("tcp.port == 1"), "`tcp.port == 1`");
        assert_eq!(markdown_code("a ``b`` |c"), "```a ``b`` \\|c```");
        assert_eq!(markdown_code("`x"), "`` `x ``");
    }

    #[test]
    fn html_gets_entities() {
        assert_eq!(
            html("/x%1b<script>alert('1')</script>&\""),
            "/x%1b&lt;script&gt;alert(&#39;1&#39;)&lt;/script&gt;&amp;&quot;"
        );
    }
}
