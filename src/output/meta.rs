//! `.pb.meta` bookkeeping for insertions: protoc's UpdateMetadata / InsertShiftedInfo offset
//! arithmetic over GeneratedCodeInfo annotations.

use prost_types::GeneratedCodeInfo;

use super::insert::Placement;

/// GeneratedCodeInfo with `Annotation.semantic` (field 5), which prost-types 0.14 lacks; decoding
/// an existing `.pb.meta` with this keeps it instead of dropping it.
#[derive(Clone, PartialEq, prost::Message)]
pub(crate) struct MetaInfo {
    #[prost(message, repeated, tag = "1")]
    pub annotation: Vec<MetaAnnotation>,
}

#[derive(Clone, PartialEq, prost::Message)]
pub(crate) struct MetaAnnotation {
    #[prost(int32, repeated, packed = "true", tag = "1")]
    pub path: Vec<i32>,
    #[prost(string, optional, tag = "2")]
    pub source_file: Option<String>,
    #[prost(int32, optional, tag = "3")]
    pub begin: Option<i32>,
    #[prost(int32, optional, tag = "4")]
    pub end: Option<i32>,
    #[prost(int32, optional, tag = "5")]
    pub semantic: Option<i32>,
}

/// Converts a response's info. Any `semantic` the plugin sent was already lost when the response
/// was decoded with prost-types, which has no field for it.
pub(crate) fn from_prost(info: &GeneratedCodeInfo) -> MetaInfo {
    MetaInfo {
        annotation: info
            .annotation
            .iter()
            .map(|a| MetaAnnotation {
                path: a.path.clone(),
                source_file: a.source_file.clone(),
                begin: a.begin,
                end: a.end,
                semantic: None,
            })
            .collect(),
    }
}

/// protoc adds int32 offsets to size_t and stores the result back as int32; these reproduce
/// that modular arithmetic (a negative offset compares as a huge unsigned one).
fn as_size(v: Option<i32>) -> u64 {
    i64::from(v.unwrap_or(0)) as u64
}

fn add(v: Option<i32>, delta: u64) -> Option<i32> {
    Some(as_size(v).wrapping_add(delta) as i32)
}

/// The new metadata after `content` (already '\n'-terminated if non-empty) landed at
/// `placement`: existing annotations at or after the insertion move down by the inserted length
/// and the inserted ones are placed, indent-adjusted, before the first of those.
pub(crate) fn shift(
    existing: &MetaInfo,
    inserted: &MetaInfo,
    content: &[u8],
    placement: Placement,
) -> MetaInfo {
    let offset = placement.offset as u64;
    let mut out = MetaInfo::default();
    let mut crossed = false;
    let mut to_add = 0u64;
    for a in &existing.annotation {
        if !crossed && as_size(a.begin) >= offset {
            crossed = true;
            place_inserted(inserted, content, placement, &mut out);
            to_add = to_add.wrapping_add(placement.length as u64);
        }
        let mut a = a.clone();
        a.begin = add(a.begin, to_add);
        a.end = add(a.end, to_add);
        out.annotation.push(a);
    }
    if !crossed {
        place_inserted(inserted, content, placement, &mut out);
    }
    out
}

/// protoc's InsertShiftedInfo: each inserted annotation is moved by the insertion offset plus
/// one indent per line started before it, and its end also by the indents of lines inside it.
fn place_inserted(inserted: &MetaInfo, content: &[u8], placement: Placement, out: &mut MetaInfo) {
    let indent = placement.indent as u64;
    let mut offset = (placement.offset as u64).wrapping_add(indent);
    // protoc scans up to size()-1 (the final '\n' starts no line). With empty content its
    // unsigned size()-1 would read out of bounds; here the scan stops at the content's end.
    let limit = (content.len() as u64).saturating_sub(1);
    let mut pos = 0u64;
    for a in &inserted.annotation {
        let begin = as_size(a.begin);
        let end = as_size(a.end);
        let mut inner_indent = 0u64;
        while pos < end && pos < limit {
            if content.get(pos as usize) == Some(&b'\n') {
                if pos >= begin {
                    inner_indent = inner_indent.wrapping_add(indent);
                } else {
                    offset = offset.wrapping_add(indent);
                }
            }
            pos += 1;
        }
        let mut b = a.clone();
        b.begin = add(a.begin, offset);
        offset = offset.wrapping_add(inner_indent);
        b.end = add(a.end, offset);
        out.annotation.push(b);
    }
}
