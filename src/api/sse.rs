//! Server-Sent Events: formats the service's live [`Frame`]s as `text/event-stream` and serves
//! them as a streaming body. (Small enough to write here rather than pull in actix-web-lab.)

use std::convert::Infallible;
use std::pin::Pin;
use std::task::{Context, Poll};

use actix_web::HttpResponse;
use actix_web::http::header;
use actix_web::web::Bytes;
use futures_core::Stream;
use serde_json::{Value, json};
use tokio::sync::mpsc;

use crate::service::Frame;

/// The body of an SSE response: frames as they arrive, until the service side ends.
struct FrameStream {
    frames: mpsc::Receiver<Frame>,
}

impl Stream for FrameStream {
    type Item = Result<Bytes, Infallible>;

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        self.frames
            .poll_recv(cx)
            .map(|frame| frame.map(|f| Ok(Bytes::from(format_frame(&f)))))
    }
}

pub fn response(frames: mpsc::Receiver<Frame>) -> HttpResponse {
    HttpResponse::Ok()
        .insert_header((header::CONTENT_TYPE, "text/event-stream"))
        .insert_header((header::CACHE_CONTROL, "no-cache"))
        // Proxies such as nginx must not buffer the stream.
        .insert_header(("X-Accel-Buffering", "no"))
        .streaming(FrameStream { frames })
}

fn format_frame(frame: &Frame) -> String {
    match frame {
        Frame::Event(event) => {
            let data = serde_json::to_value(event).unwrap_or(Value::Null);
            let kind = data["type"].as_str().unwrap_or("event").to_string();
            format!("id: {}\nevent: {kind}\ndata: {data}\n\n", event.seq)
        }
        Frame::Queue(status) => message("queue", &json!(status)),
        Frame::QueueView(queue) => message("queue", &json!(queue.as_ref())),
        Frame::Conversation {
            conversation_id,
            event,
        } => message(
            "conversation",
            &json!({ "conversation_id": conversation_id, "event": event }),
        ),
        Frame::KeepAlive => ": keep-alive\n\n".to_string(),
    }
}

/// An event without an id (it is not part of a timeline and is not replayed).
fn message(kind: &str, data: &Value) -> String {
    format!("event: {kind}\ndata: {data}\n\n")
}
