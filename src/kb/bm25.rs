//! The lexical half of retrieval: a tantivy index in RAM with one document per passage, searched
//! with BM25 over title, heading, body and tags (each with its own boost), restricted to the
//! passages a tenant may see. Results are passage numbers, so the caller owns the passage data.

use tantivy::collector::TopDocs;
use tantivy::query::{
    BooleanQuery, BoostQuery, ConstScoreQuery, FuzzyTermQuery, Occur, Query, TermQuery,
};
use tantivy::schema::{
    FAST, Field, IndexRecordOption, STRING, Schema, TextFieldIndexing, TextOptions,
};
use tantivy::tokenizer::TextAnalyzer;
use tantivy::{Index, IndexReader, Searcher, TantivyDocument, Term};

use super::{KbError, analyzer, spelling};

/// Field boosts: a word in the title or a tag says more than one in the body.
const TITLE_BOOST: f32 = 2.0;
const HEADING_BOOST: f32 = 1.5;
const TAGS_BOOST: f32 = 1.5;
const BODY_BOOST: f32 = 1.0;
/// The `tenant` term of passages shared by every tenant (not a valid tenant id).
const SHARED: &str = "*shared";

/// What the index needs to know about one passage.
pub struct IndexedText<'a> {
    pub title: &'a str,
    pub heading: &'a str,
    pub body: &'a str,
    pub tags: &'a [String],
    pub tenant: Option<&'a str>,
}

#[derive(Clone, Copy)]
struct Fields {
    passage: Field,
    title: Field,
    heading: Field,
    body: Field,
    tags: Field,
    tenant: Field,
}

pub struct Bm25Index {
    reader: IndexReader,
    fields: Fields,
    analyzer: TextAnalyzer,
    /// Passage number of each document, per segment (read once from the fast field).
    passage_of: Vec<Vec<u32>>,
    matching: Matching,
}

/// How a query reads the index.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Matching {
    /// An unknown word matches words one edit away.
    Typos,
    /// Words as written: an index searched beside a typo-tolerant one, where each fuzzy word
    /// would cost another automaton per field for little (the same dev questions ranked).
    Exact,
}

fn schema() -> (Schema, Fields) {
    let text = TextOptions::default().set_indexing_options(
        TextFieldIndexing::default()
            .set_tokenizer(analyzer::ANALYZER)
            .set_index_option(IndexRecordOption::WithFreqs),
    );
    let mut builder = Schema::builder();
    let fields = Fields {
        passage: builder.add_u64_field("passage", FAST),
        title: builder.add_text_field("title", text.clone()),
        heading: builder.add_text_field("heading", text.clone()),
        body: builder.add_text_field("body", text.clone()),
        tags: builder.add_text_field("tags", text),
        tenant: builder.add_text_field("tenant", STRING),
    };
    (builder.build(), fields)
}

impl Bm25Index {
    /// Indexes the passages in order: passage `i` of the slice is passage number `i`.
    pub fn build(passages: &[IndexedText]) -> Result<Bm25Index, KbError> {
        let (schema, f) = schema();
        let index = Index::create_in_ram(schema);
        index
            .tokenizers()
            .register(analyzer::ANALYZER, analyzer::analyzer());
        let mut writer = index.writer_with_num_threads(1, 64 * 1024 * 1024)?;
        for (number, passage) in passages.iter().enumerate() {
            let mut document = TantivyDocument::default();
            document.add_u64(f.passage, number as u64);
            document.add_text(f.title, passage.title);
            document.add_text(f.heading, passage.heading);
            document.add_text(f.body, passage.body);
            document.add_text(f.tags, passage.tags.join(" "));
            document.add_text(f.tenant, passage.tenant.unwrap_or(SHARED));
            writer.add_document(document)?;
        }
        writer.commit()?;
        let reader = index.reader()?;
        let passage_of = passage_numbers(&reader)?;
        Ok(Bm25Index {
            reader,
            fields: f,
            analyzer: analyzer::analyzer(),
            passage_of,
            matching: Matching::Typos,
        })
    }

    /// As [`Bm25Index::build`], searched by the words as written (see [`Matching::Exact`]).
    pub fn build_exact(texts: &[IndexedText]) -> Result<Bm25Index, KbError> {
        Ok(Bm25Index {
            matching: Matching::Exact,
            ..Bm25Index::build(texts)?
        })
    }

    /// The best `limit` passages for `text` that `tenant` may see: (passage number, BM25 score).
    pub fn search(
        &self,
        text: &str,
        tenant: Option<&str>,
        limit: usize,
    ) -> Result<Vec<(usize, f32)>, KbError> {
        let searcher = self.reader.searcher();
        let Some(text_query) = self.text_query(&searcher, text)? else {
            return Ok(Vec::new());
        };
        let query = BooleanQuery::new(vec![
            (Occur::Must, text_query),
            (Occur::Must, self.tenant_filter(tenant)),
        ]);
        let top = searcher.search(&query, &TopDocs::with_limit(limit.max(1)).order_by_score())?;
        Ok(top
            .into_iter()
            .filter_map(|(score, address)| {
                let segment = self.passage_of.get(address.segment_ord as usize)?;
                let number = *segment.get(address.doc_id as usize)?;
                Some((number as usize, score))
            })
            .collect())
    }

    /// How many distinct terms the analyser makes of `text` (stop words removed).
    pub fn term_count(&self, text: &str) -> usize {
        let mut analyzer = self.analyzer.clone();
        let mut terms = analyzer::terms(&mut analyzer, text);
        terms.sort();
        terms.dedup();
        terms.len()
    }

    /// One clause per query term and field. A Latin term that no passage contains is probably
    /// a typo ("adress", "cancle"): it matches terms one edit away instead.
    fn text_query(
        &self,
        searcher: &Searcher,
        text: &str,
    ) -> Result<Option<Box<dyn Query>>, KbError> {
        let mut analyzer = self.analyzer.clone();
        let mut terms = analyzer::terms(&mut analyzer, text);
        terms.sort();
        terms.dedup();
        let f = self.fields;
        let weighted = [
            (f.title, TITLE_BOOST),
            (f.heading, HEADING_BOOST),
            (f.body, BODY_BOOST),
            (f.tags, TAGS_BOOST),
        ];
        let mut clauses: Vec<(Occur, Box<dyn Query>)> = Vec::new();
        for term in &terms {
            let fuzzy = self.is_unknown_word(searcher, term)?;
            for &(field, boost) in &weighted {
                let term = Term::from_field_text(field, term);
                let query: Box<dyn Query> = if fuzzy {
                    Box::new(FuzzyTermQuery::new(term, 1, true))
                } else {
                    Box::new(TermQuery::new(term, IndexRecordOption::WithFreqs))
                };
                clauses.push((Occur::Should, Box::new(BoostQuery::new(query, boost))));
            }
        }
        Ok((!clauses.is_empty()).then(|| Box::new(BooleanQuery::new(clauses)) as Box<dyn Query>))
    }

    /// A Latin word of 4+ letters found in no title, heading, body or tags.
    fn is_unknown_word(&self, searcher: &Searcher, term: &str) -> Result<bool, KbError> {
        if self.matching == Matching::Exact || !spelling::may_be_typo(term) {
            return Ok(false);
        }
        let f = self.fields;
        for field in [f.title, f.heading, f.body, f.tags] {
            if searcher.doc_freq(&Term::from_field_text(field, term))? > 0 {
                return Ok(false);
            }
        }
        Ok(true)
    }

    /// Shared passages, plus the tenant's own; adds nothing to the score.
    fn tenant_filter(&self, tenant: Option<&str>) -> Box<dyn Query> {
        let term = |value: &str| -> (Occur, Box<dyn Query>) {
            let query = TermQuery::new(
                Term::from_field_text(self.fields.tenant, value),
                IndexRecordOption::Basic,
            );
            (Occur::Should, Box::new(query))
        };
        let mut visible = vec![term(SHARED)];
        visible.extend(tenant.map(term));
        Box::new(ConstScoreQuery::new(
            Box::new(BooleanQuery::new(visible)),
            0.0,
        ))
    }
}

fn passage_numbers(reader: &IndexReader) -> Result<Vec<Vec<u32>>, KbError> {
    let searcher = reader.searcher();
    let mut out = Vec::new();
    for segment in searcher.segment_readers() {
        let column = segment.fast_fields().u64("passage")?;
        let numbers = (0..segment.max_doc())
            .map(|doc| column.first(doc).unwrap_or(u64::MAX) as u32)
            .collect();
        out.push(numbers);
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn texts(bodies: &[&'static str]) -> Vec<IndexedText<'static>> {
        bodies
            .iter()
            .map(|body| IndexedText {
                title: "",
                heading: "",
                body,
                tags: &[],
                tenant: None,
            })
            .collect()
    }

    #[test]
    fn a_misspelt_word_finds_its_passage_but_not_in_an_exact_index() {
        let bodies = texts(&[
            "turn on roaming before you travel",
            "pay your invoice online",
        ]);
        let forgiving = Bm25Index::build(&bodies).unwrap();
        let exact = Bm25Index::build_exact(&bodies).unwrap();
        let first = |index: &Bm25Index, text: &str| {
            index
                .search(text, None, 2)
                .unwrap()
                .first()
                .map(|(n, _)| *n)
        };
        assert_eq!(first(&forgiving, "invoce"), Some(1));
        assert_eq!(first(&exact, "invoce"), None);
        assert_eq!(first(&exact, "invoice"), Some(1));
    }
}
