//! `multipart/form-data` bodies (RFC 7578): text parts rendered from
//! templates, file parts from the bytes a call passes. A part's name and
//! filename are quoted with `"`, CR and LF percent-encoded (as browsers
//! do, WHATWG HTML §4.10.21.8), so no value can add a header or a part;
//! the boundary is random per request.

use bytes::Bytes;
use indexmap::IndexMap;
use patchbay_compiler::plan::{EntryValue, PartPlan};

use crate::render::{Context, Renderer};

/// A file a call passes for a multipart body's file part of the same
/// name.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Upload {
    /// The filename sent, unless the spec writes its own.
    pub filename: Option<String>,
    /// Its content type, unless the spec writes one; default
    /// `application/octet-stream`.
    pub content_type: Option<String>,
    /// The file's bytes.
    pub bytes: Bytes,
}

/// One part as sent.
#[derive(Debug, Clone, PartialEq)]
pub struct MultipartPart {
    /// The part's name.
    pub name: String,
    /// The filename of a file part.
    pub filename: Option<String>,
    /// The content type of a file part.
    pub content_type: Option<String>,
    /// Its bytes.
    pub data: Bytes,
    /// Whether it is a file part (its bytes are never printed).
    pub is_file: bool,
}

/// The parts of a multipart body, rendered: the caller's files for the
/// file parts, every value checked for where it lands.
pub(crate) fn parts(
    plan: &[PartPlan],
    renderer: &Renderer,
    context: &Context,
    files: &IndexMap<String, Upload>,
) -> Result<Vec<MultipartPart>, (String, String)> {
    let header_value = |value: &EntryValue, what: &str| -> Result<String, (String, String)> {
        match value {
            EntryValue::Literal(text) => Ok(text.clone()),
            EntryValue::Template(template) => renderer
                .header(template, context)
                .map_err(|message| (what.to_owned(), message)),
            EntryValue::Computed(_) => Err((what.to_owned(), "not a part value".to_owned())),
        }
    };
    let mut out = Vec::with_capacity(plan.len());
    for part in plan {
        match part {
            PartPlan::Text { name, value } => {
                let what = format!("part `{name}`");
                let text = match value {
                    EntryValue::Literal(text) => text.clone(),
                    EntryValue::Template(template) => renderer
                        .text(template, context)
                        .map_err(|message| (what.clone(), message))?,
                    EntryValue::Computed(_) => {
                        return Err((what, "not a part value".to_owned()));
                    }
                };
                out.push(MultipartPart {
                    name: name.clone(),
                    filename: None,
                    content_type: None,
                    data: Bytes::from(text),
                    is_file: false,
                });
            }
            PartPlan::File {
                name,
                filename,
                content_type,
                required,
            } => {
                let what = format!("file part `{name}`");
                let Some(upload) = files.get(name) else {
                    if required.value {
                        return Err((
                            what,
                            "missing: pass the file under this name (`--file NAME=PATH`, or the call's `files`)".to_owned(),
                        ));
                    }
                    continue;
                };
                let filename = match filename {
                    Some(value) => Some(header_value(value, &what)?),
                    None => upload.filename.clone(),
                };
                let content_type = match content_type {
                    Some(value) => header_value(value, &what)?,
                    None => upload
                        .content_type
                        .clone()
                        .unwrap_or_else(|| "application/octet-stream".to_owned()),
                };
                if let Some(problem) = crate::render::header_problem(&content_type) {
                    return Err((what, format!("the content type {problem}")));
                }
                out.push(MultipartPart {
                    name: name.clone(),
                    filename,
                    content_type: Some(content_type),
                    data: upload.bytes.clone(),
                    is_file: true,
                });
            }
        }
    }
    Ok(out)
}

/// A random boundary: 32 hex digits after dashes, which no part is
/// likely to hold and none can be made to (it is not known in advance).
pub(crate) fn boundary() -> Option<String> {
    let mut bytes = [0u8; 16];
    getrandom::fill(&mut bytes).ok()?;
    let hex: String = bytes.iter().map(|b| format!("{b:02x}")).collect();
    Some(format!("----patchbay{hex}"))
}

/// A name or filename as a quoted string: `"`, CR and LF (and the other
/// control characters) percent-encoded, as browsers send them.
pub(crate) fn quoted(value: &str) -> String {
    format!("\"{}\"", escaped(value))
}

/// A name or filename with `"` and control characters percent-encoded.
pub(crate) fn escaped(value: &str) -> String {
    let mut out = String::with_capacity(value.len());
    for c in value.chars() {
        match c {
            '"' => out.push_str("%22"),
            c if c.is_control() && (c as u32) < 0x80 => {
                out.push_str(&format!("%{:02X}", c as u32));
            }
            c => out.push(c),
        }
    }
    out
}

/// The body's bytes.
pub(crate) fn encode(boundary: &str, parts: &[MultipartPart]) -> Vec<u8> {
    let size: usize = parts.iter().map(|p| p.data.len() + 160).sum();
    let mut out = Vec::with_capacity(size + boundary.len() * (parts.len() + 1));
    for part in parts {
        out.extend_from_slice(format!("--{boundary}\r\n").as_bytes());
        let mut disposition = format!(
            "Content-Disposition: form-data; name={}",
            quoted(&part.name)
        );
        if let Some(filename) = &part.filename {
            disposition.push_str(&format!("; filename={}", quoted(filename)));
        }
        out.extend_from_slice(disposition.as_bytes());
        out.extend_from_slice(b"\r\n");
        if let Some(content_type) = &part.content_type {
            out.extend_from_slice(format!("Content-Type: {content_type}\r\n").as_bytes());
        }
        out.extend_from_slice(b"\r\n");
        out.extend_from_slice(&part.data);
        out.extend_from_slice(b"\r\n");
    }
    out.extend_from_slice(format!("--{boundary}--\r\n").as_bytes());
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_cannot_add_headers_or_parts() {
        assert_eq!(quoted("a\"b\r\nX: y"), "\"a%22b%0D%0AX: y\"");
        assert_eq!(quoted("Résumé.pdf"), "\"Résumé.pdf\"");
    }

    #[test]
    fn the_body_has_each_part_between_boundaries() {
        let parts = vec![
            MultipartPart {
                name: "attributes".into(),
                filename: None,
                content_type: None,
                data: Bytes::from_static(br#"{"name":"a.txt"}"#),
                is_file: false,
            },
            MultipartPart {
                name: "file".into(),
                filename: Some("a.txt".into()),
                content_type: Some("text/plain".into()),
                data: Bytes::from_static(b"\x00\xffhi"),
                is_file: true,
            },
        ];
        let body = encode("B", &parts);
        let expected: &[u8] = b"--B\r\nContent-Disposition: form-data; name=\"attributes\"\r\n\r\n{\"name\":\"a.txt\"}\r\n--B\r\nContent-Disposition: form-data; name=\"file\"; filename=\"a.txt\"\r\nContent-Type: text/plain\r\n\r\n\x00\xffhi\r\n--B--\r\n";
        assert_eq!(body, expected);
        let b = boundary().unwrap();
        assert_ne!(b, boundary().unwrap());
        assert_eq!(b.len(), 44);
    }
}
