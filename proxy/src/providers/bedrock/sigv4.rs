//! SigV4 for the Converse calls, with the day's signing key kept.
//!
//! The SDK's orchestrator derives the signing key again for every request (four HMACs) and runs
//! its interceptors and config bag around it; a Converse call needs none of that. Credentials
//! still come from the SDK's provider chain (environment, profiles, SSO, roles), cached here until
//! shortly before they expire. Signatures are those of `aws-sigv4` (a test compares them).

use std::fmt::Write as _;
use std::sync::Arc;
use std::time::{Duration, SystemTime};

use arc_swap::ArcSwapOption;
use aws_credential_types::Credentials;
use aws_credential_types::provider::{ProvideCredentials, SharedCredentialsProvider};
use aws_lc_rs::{digest, hmac};
use chrono::{DateTime, Datelike, Timelike, Utc};
use http::HeaderValue;
use percent_encoding::{AsciiSet, NON_ALPHANUMERIC};

use crate::providers::ProviderError;

/// Credentials this close to their expiry are fetched again before the next call.
const REFRESH_BEFORE_EXPIRY: Duration = Duration::from_secs(5 * 60);
/// After a refresh failed while the old credentials still worked, the wait before the next try
/// (rather than one try per call).
const RETRY_REFRESH_AFTER: Duration = Duration::from_secs(10);

/// What SigV4's canonical URI leaves alone; everything else is encoded once more, so that an
/// already encoded `%3A` in a path label becomes `%253A` (every service but S3 signs so).
const CANONICAL_PATH: &AsciiSet = &NON_ALPHANUMERIC.remove(b'-').remove(b'.').remove(b'_').remove(b'~').remove(b'/');

/// The headers a signed request carries beside its body.
pub struct SignedHeaders {
    pub amz_date: HeaderValue,
    pub authorization: HeaderValue,
    pub security_token: Option<HeaderValue>,
}

pub struct Signer {
    region: String,
    service: &'static str,
    provider: SharedCredentialsProvider,
    /// The credentials and the signing key of the day they were derived for.
    state: ArcSwapOption<SigningState>,
    /// One refresh at a time; the others wait for its result.
    refreshing: tokio::sync::Mutex<()>,
}

struct SigningState {
    credentials: Credentials,
    /// `YYYYMMDD`, the day of `key`.
    day: [u8; 8],
    key: hmac::Key,
    /// `AKID/YYYYMMDD/region/service/aws4_request`.
    credential: String,
    /// Set when a refresh failed and these (expiring) credentials were kept: no new try before.
    retry_refresh_at: Option<SystemTime>,
}

impl Signer {
    pub fn new(region: &str, service: &'static str, provider: SharedCredentialsProvider) -> Self {
        Self {
            region: region.to_string(),
            service,
            provider,
            state: ArcSwapOption::empty(),
            refreshing: tokio::sync::Mutex::new(()),
        }
    }

    /// Signs a JSON `POST` of `body` to `path` (already percent-encoded) on `host` (with its port
    /// when the URL names one), as of now.
    pub async fn sign_post(&self, host: &str, path: &str, body: &[u8]) -> Result<SignedHeaders, ProviderError> {
        self.sign_post_at(SystemTime::now(), host, path, body).await
    }

    async fn sign_post_at(
        &self,
        now: SystemTime,
        host: &str,
        path: &str,
        body: &[u8],
    ) -> Result<SignedHeaders, ProviderError> {
        let amz_date = AmzDate::of(now);
        let state = self.state_for(now, &amz_date).await?;
        let token = state.credentials.session_token();

        let mut canonical = String::with_capacity(256 + path.len() + host.len());
        canonical.push_str("POST\n");
        canonical.extend(percent_encoding::utf8_percent_encode(path, CANONICAL_PATH));
        canonical.push_str("\n\ncontent-type:application/json\nhost:");
        canonical.push_str(host.trim());
        canonical.push_str("\nx-amz-date:");
        canonical.push_str(amz_date.full());
        if let Some(token) = token {
            canonical.push_str("\nx-amz-security-token:");
            canonical.push_str(token.trim());
        }
        let signed_headers = if token.is_some() {
            "content-type;host;x-amz-date;x-amz-security-token"
        } else {
            "content-type;host;x-amz-date"
        };
        canonical.push_str("\n\n");
        canonical.push_str(signed_headers);
        canonical.push('\n');
        push_hex(&mut canonical, digest::digest(&digest::SHA256, body).as_ref());

        let mut to_sign = String::with_capacity(160);
        to_sign.push_str("AWS4-HMAC-SHA256\n");
        to_sign.push_str(amz_date.full());
        to_sign.push('\n');
        // The scope is the credential without its access key id.
        to_sign.push_str(state.credential.split_once('/').map_or("", |(_, scope)| scope));
        to_sign.push('\n');
        push_hex(&mut to_sign, digest::digest(&digest::SHA256, canonical.as_bytes()).as_ref());

        let mut authorization = String::with_capacity(200);
        authorization.push_str("AWS4-HMAC-SHA256 Credential=");
        authorization.push_str(&state.credential);
        authorization.push_str(", SignedHeaders=");
        authorization.push_str(signed_headers);
        authorization.push_str(", Signature=");
        push_hex(&mut authorization, hmac::sign(&state.key, to_sign.as_bytes()).as_ref());

        let header = |value: &str| {
            HeaderValue::from_str(value).map_err(|_| {
                ProviderError::InvalidRequest("the AWS credentials hold characters a header cannot".into())
            })
        };
        Ok(SignedHeaders {
            amz_date: header(amz_date.full())?,
            authorization: header(&authorization)?,
            // Sensitive: kept out of debug output, and not sent on if the endpoint redirects.
            security_token: token
                .map(|t| {
                    header(t).map(|mut v| {
                        v.set_sensitive(true);
                        v
                    })
                })
                .transpose()?,
        })
    }

    /// The day's signing state, fetching credentials and deriving the key when the day changed
    /// or the credentials are about to expire.
    async fn state_for(&self, now: SystemTime, date: &AmzDate) -> Result<Arc<SigningState>, ProviderError> {
        if let Some(state) = self.state.load_full().filter(|s| s.usable(now, date)) {
            return Ok(state);
        }
        let _refreshing = self.refreshing.lock().await;
        let current = self.state.load_full();
        if let Some(state) = current.clone().filter(|s| s.usable(now, date)) {
            return Ok(state);
        }
        let (credentials, retry_refresh_at) = match current.as_ref().filter(|s| s.fresh_enough(now)) {
            // Only the day changed.
            Some(state) => (state.credentials.clone(), state.retry_refresh_at),
            None => match self.provider.provide_credentials().await {
                Ok(credentials) => (credentials, None),
                // A refresh that fails while the old credentials still work keeps them.
                Err(e) => match current.as_ref().filter(|s| !expired(&s.credentials, now)) {
                    Some(state) => {
                        tracing::warn!(
                            "the AWS credentials could not be refreshed; the current ones, which expire soon, are kept: {}",
                            aws_smithy_types::error::display::DisplayErrorContext(&e)
                        );
                        (state.credentials.clone(), Some(now + RETRY_REFRESH_AFTER))
                    }
                    None => {
                        return Err(ProviderError::Connect(format!(
                            "no AWS credentials to sign the Bedrock call: {}",
                            aws_smithy_types::error::display::DisplayErrorContext(&e)
                        )));
                    }
                },
            },
        };
        let day = date.day_bytes();
        let key = signing_key(credentials.secret_access_key(), date.day(), &self.region, self.service);
        let credential =
            format!("{}/{}/{}/{}/aws4_request", credentials.access_key_id(), date.day(), self.region, self.service);
        let state = Arc::new(SigningState { credentials, day, key, credential, retry_refresh_at });
        self.state.store(Some(state.clone()));
        Ok(state)
    }
}

impl SigningState {
    fn usable(&self, now: SystemTime, date: &AmzDate) -> bool {
        self.day == date.day_bytes() && self.fresh_enough(now)
    }

    /// Not about to expire, or kept after a failed refresh until the next try is due.
    fn fresh_enough(&self, now: SystemTime) -> bool {
        !expired(&self.credentials, now)
            && (!expiring(&self.credentials, now) || self.retry_refresh_at.is_some_and(|at| now < at))
    }
}

fn expiring(credentials: &Credentials, now: SystemTime) -> bool {
    credentials.expiry().is_some_and(|at| at <= now + REFRESH_BEFORE_EXPIRY)
}

fn expired(credentials: &Credentials, now: SystemTime) -> bool {
    credentials.expiry().is_some_and(|at| at <= now)
}

/// The day's key, ready to sign with (its padded HMAC states computed once).
fn signing_key(secret: &str, day: &str, region: &str, service: &str) -> hmac::Key {
    let step = |key: &[u8], data: &[u8]| hmac::sign(&hmac::Key::new(hmac::HMAC_SHA256, key), data);
    let k_date = step(format!("AWS4{secret}").as_bytes(), day.as_bytes());
    let k_region = step(k_date.as_ref(), region.as_bytes());
    let k_service = step(k_region.as_ref(), service.as_bytes());
    hmac::Key::new(hmac::HMAC_SHA256, step(k_service.as_ref(), b"aws4_request").as_ref())
}

fn push_hex(out: &mut String, bytes: &[u8]) {
    for b in bytes {
        let _ = write!(out, "{b:02x}");
    }
}

/// `YYYYMMDDTHHMMSSZ`, of which the first eight bytes are the day.
struct AmzDate([u8; 16]);

impl AmzDate {
    fn of(time: SystemTime) -> Self {
        let seconds = time.duration_since(SystemTime::UNIX_EPOCH).map_or(0, |d| d.as_secs());
        let at = DateTime::<Utc>::from_timestamp(seconds.min(i64::MAX as u64) as i64, 0).unwrap_or_default();
        let mut out = *b"00000000T000000Z";
        let mut put = |at: usize, digits: usize, mut value: u32| {
            for slot in out.iter_mut().skip(at).take(digits).rev() {
                *slot = b'0' + (value % 10) as u8;
                value /= 10;
            }
        };
        put(0, 4, at.year().clamp(0, 9999) as u32);
        put(4, 2, at.month());
        put(6, 2, at.day());
        put(9, 2, at.hour());
        put(11, 2, at.minute());
        put(13, 2, at.second());
        Self(out)
    }

    fn full(&self) -> &str {
        // Digits, 'T' and 'Z' only.
        std::str::from_utf8(&self.0).unwrap_or_default()
    }

    fn day(&self) -> &str {
        self.full().get(..8).unwrap_or_default()
    }

    fn day_bytes(&self) -> [u8; 8] {
        let mut day = [0; 8];
        day.iter_mut().zip(self.0).for_each(|(d, s)| *d = s);
        day
    }
}

#[cfg(test)]
mod tests {
    use std::sync::atomic::{AtomicUsize, Ordering};

    use aws_credential_types::provider::future;
    use aws_sigv4::http_request::{SignableBody, SignableRequest, SigningSettings, sign};
    use aws_sigv4::sign::v4;

    use super::*;

    /// Counts how often the chain is asked, and hands out credentials that expire at `expiry`.
    #[derive(Debug)]
    struct Counting {
        calls: Arc<AtomicUsize>,
        token: Option<&'static str>,
        expiry: Option<SystemTime>,
    }

    impl ProvideCredentials for Counting {
        fn provide_credentials<'a>(&'a self) -> future::ProvideCredentials<'a>
        where
            Self: 'a,
        {
            let n = self.calls.fetch_add(1, Ordering::SeqCst);
            future::ProvideCredentials::ready(Ok(Credentials::new(
                format!("AKIDEXAMPLE{n}"),
                "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY",
                self.token.map(str::to_string),
                self.expiry,
                "test",
            )))
        }
    }

    fn signer(token: Option<&'static str>, expiry: Option<SystemTime>) -> (Signer, Arc<AtomicUsize>) {
        let calls = Arc::new(AtomicUsize::new(0));
        let provider = SharedCredentialsProvider::new(Counting { calls: calls.clone(), token, expiry });
        (Signer::new("us-west-2", "bedrock", provider), calls)
    }

    /// What `aws-sigv4` (the SDK's signer) makes of the same request.
    fn reference(
        time: SystemTime,
        token: Option<&str>,
        host: &str,
        path: &str,
        body: &[u8],
    ) -> (String, Option<String>) {
        let identity = Credentials::new(
            "AKIDEXAMPLE0",
            "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY",
            token.map(str::to_string),
            None,
            "t",
        )
        .into();
        let params = v4::SigningParams::builder()
            .identity(&identity)
            .region("us-west-2")
            .name("bedrock")
            .time(time)
            .settings(SigningSettings::default())
            .build()
            .unwrap()
            .into();
        let uri = format!("https://{host}{path}");
        let headers = [("content-type", "application/json"), ("host", host)];
        let request = SignableRequest::new("POST", &uri, headers.into_iter(), SignableBody::Bytes(body)).unwrap();
        let (instructions, _) = sign(request, &params).unwrap().into_parts();
        let (headers, _) = instructions.into_parts();
        let find = |name: &str| headers.iter().find(|h| h.name() == name).map(|h| h.value().to_string());
        (find("authorization").unwrap(), find("x-amz-security-token"))
    }

    #[tokio::test]
    async fn signatures_match_the_sdks_signer() {
        let time = SystemTime::UNIX_EPOCH + Duration::from_secs(1_765_000_000);
        let body = br#"{"messages":[{"role":"user","content":[{"text":"hi"}]}]}"#;
        // An inference-profile ARN: `:` and `/` are encoded in the label, and encoded again in
        // the canonical URI.
        let arn_path =
            "/model/arn%3Aaws%3Abedrock%3Aus-west-2%3A123456789012%3Ainference-profile%2Fus.anthropic.claude/converse";
        for (token, host, path) in [
            (
                None,
                "bedrock-runtime.us-west-2.amazonaws.com",
                "/model/anthropic.claude-3-haiku-20240307-v1%3A0/converse",
            ),
            (Some("IQoJb3JpZ2luX2VjE//session+token="), "127.0.0.1:4566", arn_path),
            (None, "[::1]:8080", "/model/m/converse-stream"),
        ] {
            let (signer, _) = signer(token, None);
            let ours = signer.sign_post_at(time, host, path, body).await.unwrap();
            let (authorization, security_token) = reference(time, token, host, path, body);
            assert_eq!(ours.authorization.to_str().unwrap(), authorization, "{path}");
            assert_eq!(ours.security_token.as_ref().map(|t| t.to_str().unwrap().to_string()), security_token);
            assert_eq!(ours.amz_date.to_str().unwrap(), "20251206T054640Z");
        }
    }

    #[tokio::test]
    async fn credentials_are_fetched_once_a_day_and_before_they_expire() {
        let day = SystemTime::UNIX_EPOCH + Duration::from_secs(1_765_000_000);
        let (forever, calls) = signer(None, None);
        for seconds in [0, 1, 3_600] {
            forever.sign_post_at(day + Duration::from_secs(seconds), "h", "/p", b"").await.unwrap();
        }
        assert_eq!(calls.load(Ordering::SeqCst), 1, "one fetch for one day");
        let next_day = forever.sign_post_at(day + Duration::from_secs(86_400), "h", "/p", b"").await.unwrap();
        assert_eq!(calls.load(Ordering::SeqCst), 1, "a new day derives a new key from the same credentials");
        assert!(next_day.authorization.to_str().unwrap().contains("/20251207/us-west-2/bedrock/aws4_request"));

        let (expiring, calls) = signer(Some("t"), Some(day + Duration::from_secs(600)));
        let first = expiring.sign_post_at(day, "h", "/p", b"").await.unwrap();
        assert!(first.authorization.to_str().unwrap().contains("Credential=AKIDEXAMPLE0/"));
        let later = expiring.sign_post_at(day + Duration::from_secs(301), "h", "/p", b"").await.unwrap();
        assert_eq!(calls.load(Ordering::SeqCst), 2, "refreshed within five minutes of the expiry");
        assert!(later.authorization.to_str().unwrap().contains("Credential=AKIDEXAMPLE1/"));
    }

    #[tokio::test]
    async fn a_failed_refresh_keeps_working_credentials_and_waits_before_trying_again() {
        /// Credentials the first time, errors after.
        #[derive(Debug)]
        struct OnceOnly {
            calls: Arc<AtomicUsize>,
            expiry: SystemTime,
        }
        impl ProvideCredentials for OnceOnly {
            fn provide_credentials<'a>(&'a self) -> future::ProvideCredentials<'a>
            where
                Self: 'a,
            {
                if self.calls.fetch_add(1, Ordering::SeqCst) == 0 {
                    future::ProvideCredentials::ready(Ok(Credentials::new("AKID", "s", None, Some(self.expiry), "t")))
                } else {
                    future::ProvideCredentials::ready(Err(
                        aws_credential_types::provider::error::CredentialsError::provider_timed_out(
                            Duration::from_secs(1),
                        ),
                    ))
                }
            }
        }
        let t0 = SystemTime::UNIX_EPOCH + Duration::from_secs(1_765_000_000);
        let calls = Arc::new(AtomicUsize::new(0));
        let provider = OnceOnly { calls: calls.clone(), expiry: t0 + Duration::from_secs(600) };
        let signer = Signer::new("us-east-1", "bedrock", SharedCredentialsProvider::new(provider));
        let at = |seconds: u64| t0 + Duration::from_secs(seconds);
        signer.sign_post_at(at(0), "h", "/p", b"").await.unwrap();
        signer.sign_post_at(at(301), "h", "/p", b"").await.expect("kept while they still work");
        assert_eq!(calls.load(Ordering::SeqCst), 2);
        signer.sign_post_at(at(305), "h", "/p", b"").await.unwrap();
        assert_eq!(calls.load(Ordering::SeqCst), 2, "no new try within ten seconds of the failed one");
        signer.sign_post_at(at(312), "h", "/p", b"").await.unwrap();
        assert_eq!(calls.load(Ordering::SeqCst), 3);
        let err = signer.sign_post_at(at(601), "h", "/p", b"").await.err().unwrap();
        assert!(err.to_string().contains("no AWS credentials"), "expired and not refreshed: {err}");
    }

    #[tokio::test]
    async fn a_chain_without_credentials_is_a_clear_error() {
        #[derive(Debug)]
        struct Empty;
        impl ProvideCredentials for Empty {
            fn provide_credentials<'a>(&'a self) -> future::ProvideCredentials<'a>
            where
                Self: 'a,
            {
                future::ProvideCredentials::ready(Err(
                    aws_credential_types::provider::error::CredentialsError::not_loaded("nothing in the chain"),
                ))
            }
        }
        let signer = Signer::new("us-east-1", "bedrock", SharedCredentialsProvider::new(Empty));
        let err = signer.sign_post("h", "/p", b"").await.err().unwrap();
        assert!(err.to_string().contains("no AWS credentials to sign the Bedrock call"), "{err}");
    }
}
