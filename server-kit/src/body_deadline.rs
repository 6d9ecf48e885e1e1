//! A deadline on reading the request body, so a client trickling a body cannot hold
//! a connection (and the request's memory) for as long as it likes. The server's
//! `client_request_timeout` bounds the request head; nothing in actix bounds the
//! body, hence this middleware.
//!
//! The body stream fails once the deadline passes; whatever the handler then
//! answered is replaced by `408 Request Timeout` with `Connection: close` (RFC 9110
//! §15.5.9), since the rest of the body will never be read.

use std::cell::Cell;
use std::future::Future;
use std::pin::Pin;
use std::rc::Rc;
use std::task::{Context, Poll};
use std::time::Duration;

use actix_web::body::{EitherBody, MessageBody};
use actix_web::dev::{Payload, ServiceRequest, ServiceResponse};
use actix_web::error::PayloadError;
use actix_web::middleware::Next;
use actix_web::web::Bytes;
use actix_web::{HttpMessage, HttpResponse};
use futures_util::Stream;
use tokio::time::{Instant, Sleep};

/// How long a request body may take to arrive, from the end of the head.
pub const BODY_TIMEOUT: Duration = Duration::from_secs(10);

pub async fn limit_body_time(
    mut req: ServiceRequest,
    next: Next<impl MessageBody>,
) -> Result<ServiceResponse<EitherBody<impl MessageBody>>, actix_web::Error> {
    let timed_out = Rc::new(Cell::new(false));
    let body = DeadlineBody {
        inner: req.take_payload(),
        deadline: Box::pin(tokio::time::sleep_until(Instant::now() + BODY_TIMEOUT)),
        timed_out: timed_out.clone(),
    };
    req.set_payload(Payload::from(Box::pin(body) as Pin<Box<dyn Stream<Item = _>>>));
    let response = next.call(req).await?;
    if timed_out.get() {
        let (request, _) = response.into_parts();
        let timeout = HttpResponse::RequestTimeout().force_close().finish();
        return Ok(ServiceResponse::new(request, timeout).map_into_right_body());
    }
    Ok(response.map_into_left_body())
}

struct DeadlineBody {
    inner: Payload,
    deadline: Pin<Box<Sleep>>,
    timed_out: Rc<Cell<bool>>,
}

impl Stream for DeadlineBody {
    type Item = Result<Bytes, PayloadError>;

    fn poll_next(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        let this = self.get_mut();
        if this.timed_out.get() {
            return Poll::Ready(None);
        }
        if let Poll::Ready(item) = Pin::new(&mut this.inner).poll_next(cx) {
            return Poll::Ready(item);
        }
        match this.deadline.as_mut().poll(cx) {
            Poll::Ready(()) => {
                this.timed_out.set(true);
                let late = std::io::Error::new(std::io::ErrorKind::TimedOut, "request body too slow");
                Poll::Ready(Some(Err(PayloadError::Io(late))))
            }
            Poll::Pending => Poll::Pending,
        }
    }
}
