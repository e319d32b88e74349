//! What a deploy or a destroy reports while it runs: the items of its progress stream, and the
//! tracker that turns CloudFormation's stack events into a progress fraction and a failure.

use std::collections::{BTreeMap, HashSet};

use serde::{Deserialize, Serialize};

use crate::health::Health;

/// One CloudFormation stack event.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct StackEvent {
    pub event_id: String,
    /// The resource's name in the template (the stack's own events carry the stack name).
    pub logical_id: String,
    pub physical_id: String,
    pub resource_type: String,
    /// CREATE_IN_PROGRESS, CREATE_COMPLETE, CREATE_FAILED, DELETE_COMPLETE, ...
    pub status: String,
    pub reason: Option<String>,
    /// RFC 3339.
    pub timestamp: String,
}

impl StackEvent {
    pub fn is_stack(&self) -> bool {
        self.resource_type == STACK_TYPE
    }
}

pub const STACK_TYPE: &str = "AWS::CloudFormation::Stack";

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Operation {
    Create,
    Update,
    Delete,
}

impl Operation {
    fn counts_as_done(self, status: &str) -> bool {
        match self {
            Operation::Create => status == "CREATE_COMPLETE",
            Operation::Update => matches!(status, "UPDATE_COMPLETE" | "CREATE_COMPLETE" | "DELETE_COMPLETE"),
            Operation::Delete => matches!(status, "DELETE_COMPLETE" | "DELETE_SKIPPED"),
        }
    }

    /// The stack status that says this operation has begun.
    fn started_status(self) -> &'static str {
        match self {
            Operation::Create => "CREATE_IN_PROGRESS",
            Operation::Update => "UPDATE_IN_PROGRESS",
            Operation::Delete => "DELETE_IN_PROGRESS",
        }
    }
}

/// A change the change set will make.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct PlannedChange {
    /// Add, Modify, Remove, ...
    pub action: String,
    pub logical_id: String,
    pub resource_type: String,
    /// For Modify: True, False or Conditional.
    pub replacement: Option<String>,
}

/// A resource that failed, and why.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Failure {
    pub logical_id: String,
    pub resource_type: String,
    pub status: String,
    pub reason: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Outcome {
    /// Created or updated.
    Succeeded,
    /// The form matches what is deployed.
    NoChanges,
    /// A resource failed and CloudFormation undid the operation.
    RolledBack,
    /// A resource failed and the rollback (or the delete) failed too: the stack needs attention.
    Failed,
    /// Everything is gone.
    Deleted,
    /// There was no such stack.
    NotFound,
    /// The operation could not be started or followed (credentials, permissions, a template
    /// CloudFormation refused, ...); see `message`.
    Error,
}

/// The last item of every progress stream.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Done {
    pub outcome: Outcome,
    pub operation: Option<Operation>,
    pub stack_name: String,
    pub stack_id: Option<String>,
    pub stack_status: Option<String>,
    /// One sentence for the user.
    pub message: String,
    /// The first resource that failed (not the ones cancelled because of it).
    pub failure: Option<Failure>,
    /// Every failed event of the operation, in order.
    pub failures: Vec<Failure>,
    /// The stack's outputs (ServiceUrl, AlbDnsName, MasterKeySecretArn, ...).
    pub outputs: BTreeMap<String, String>,
    /// After a successful deploy: `GET <ServiceUrl>/health/liveliness`, as in the seed article.
    pub health: Option<Health>,
    /// The image this operation built and pushed (by digest).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub image: Option<String>,
}

/// A step of building and pushing the gateway's image, before the stack's change set.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum ImageStep {
    /// The ECR repository did not exist and was created.
    RepositoryCreated,
    /// The image is assembled (`digest` is the layer's, `size` its bytes).
    Assembled,
    /// A blob the registry has already: not uploaded again.
    Present,
    /// Part of a blob is uploaded (`sent` of `size` bytes).
    Uploading,
    Uploaded,
    /// The manifest is in: `reference` names the image by digest.
    Pushed,
}

/// An item of a progress stream. Serialized with a `type` member: `message`, `image`, `plan`,
/// `event`, `done`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum Progress {
    Message {
        text: String,
    },
    /// Building and pushing the image (a form without `image_uri`).
    Image {
        step: ImageStep,
        /// One sentence for the user.
        text: String,
        /// `layer` or `config` (blob steps).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        blob: Option<String>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        digest: Option<String>,
        /// Bytes of the blob.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        size: Option<u64>,
        /// Bytes uploaded so far (`uploading`).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        sent: Option<u64>,
        /// `registry/repository@sha256:...` (`pushed`) or the repository (`repository_created`).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        reference: Option<String>,
    },
    /// The change set, before it runs.
    Plan {
        operation: Operation,
        stack_name: String,
        stack_id: String,
        change_set_id: Option<String>,
        changes: Vec<PlannedChange>,
        /// How many resources the progress fraction counts.
        total: usize,
    },
    Event {
        #[serde(flatten)]
        event: StackEvent,
        /// Resources done / resources of the operation, 0.0 to 1.0.
        progress: f64,
    },
    Done(Done),
}

/// Follows the events of one operation on one stack.
#[derive(Debug)]
pub struct Tracker {
    operation: Operation,
    stack_name: String,
    total: usize,
    done: HashSet<String>,
    failures: Vec<Failure>,
    started: bool,
}

impl Tracker {
    pub fn new(operation: Operation, stack_name: &str, total: usize) -> Tracker {
        Tracker {
            operation,
            stack_name: stack_name.to_string(),
            total,
            done: HashSet::new(),
            failures: Vec::new(),
            started: false,
        }
    }

    /// Takes the next event (in time order) and returns the progress after it.
    pub fn observe(&mut self, e: &StackEvent) -> f64 {
        let own = e.is_stack() && e.logical_id == self.stack_name;
        if own {
            if e.status == self.operation.started_status() {
                self.started = true;
            }
        } else if self.operation.counts_as_done(&e.status) {
            self.done.insert(e.logical_id.clone());
        }
        if e.status.ends_with("_FAILED") && !own {
            self.failures.push(Failure {
                logical_id: e.logical_id.clone(),
                resource_type: e.resource_type.clone(),
                status: e.status.clone(),
                reason: e.reason.clone().unwrap_or_default(),
            });
        }
        self.progress()
    }

    /// Whether the stack's own "<OPERATION>_IN_PROGRESS" event has been seen: until then a
    /// terminal stack status is the one from before the operation.
    pub fn started(&self) -> bool {
        self.started
    }

    pub fn progress(&self) -> f64 {
        if self.total == 0 { 0.0 } else { (self.done.len() as f64 / self.total as f64).min(1.0) }
    }

    pub fn failures(&self) -> &[Failure] {
        &self.failures
    }

    /// The failure that caused the others: the first one not reported as cancelled.
    pub fn root_failure(&self) -> Option<&Failure> {
        self.failures.iter().find(|f| !is_cancellation(&f.reason)).or(self.failures.first())
    }

    /// The outcome of a stack that reached `status`, with a sentence for the user.
    pub fn outcome(&self, status: &str) -> (Outcome, String) {
        let cause = self
            .root_failure()
            .map(|f| format!(": {} ({}) {}: {}", f.logical_id, f.resource_type, f.status, f.reason))
            .unwrap_or_default();
        match (self.operation, status) {
            (Operation::Create, "CREATE_COMPLETE") => (Outcome::Succeeded, "The gateway is deployed.".into()),
            (Operation::Update, "UPDATE_COMPLETE") => (Outcome::Succeeded, "The gateway is updated.".into()),
            (Operation::Delete, "DELETE_COMPLETE") => {
                (Outcome::Deleted, "Everything the stack created is deleted.".into())
            }
            (Operation::Create, "ROLLBACK_COMPLETE") => (
                Outcome::RolledBack,
                format!(
                    "The deploy failed and was rolled back (nothing is left running; deploy again to retry){cause}"
                ),
            ),
            (Operation::Update, "UPDATE_ROLLBACK_COMPLETE") => (
                Outcome::RolledBack,
                format!("The update failed and was rolled back to the previous deployment{cause}"),
            ),
            (_, s) => (Outcome::Failed, format!("The stack ended in {s}{cause}")),
        }
    }
}

fn is_cancellation(reason: &str) -> bool {
    let r = reason.to_ascii_lowercase();
    r.contains("cancelled") || r.contains("canceled")
}

/// A stack status that no longer changes by itself.
pub fn is_terminal(status: &str) -> bool {
    !status.ends_with("_IN_PROGRESS")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ev(n: usize, logical: &str, rtype: &str, status: &str, reason: Option<&str>) -> StackEvent {
        StackEvent {
            event_id: format!("e{n}"),
            logical_id: logical.into(),
            physical_id: String::new(),
            resource_type: rtype.into(),
            status: status.into(),
            reason: reason.map(str::to_string),
            timestamp: format!("2026-01-01T00:00:{n:02}Z"),
        }
    }

    fn stack(n: usize, status: &str, reason: Option<&str>) -> StackEvent {
        ev(n, "gw", STACK_TYPE, status, reason)
    }

    #[test]
    fn create_progress_counts_completed_resources() {
        let mut t = Tracker::new(Operation::Create, "gw", 3);
        assert!(!t.started());
        t.observe(&stack(0, "CREATE_IN_PROGRESS", Some("User Initiated")));
        assert!(t.started());
        let seq = [
            ("Vpc", "CREATE_IN_PROGRESS"),
            ("Vpc", "CREATE_COMPLETE"),
            ("Cluster", "CREATE_IN_PROGRESS"),
            ("Cluster", "CREATE_COMPLETE"),
            ("Service", "CREATE_IN_PROGRESS"),
        ];
        let progress: Vec<f64> =
            seq.iter().enumerate().map(|(i, (l, s))| t.observe(&ev(i + 1, l, "AWS::X::Y", s, None))).collect();
        assert_eq!(progress, [0.0, 1.0 / 3.0, 1.0 / 3.0, 2.0 / 3.0, 2.0 / 3.0]);
        assert_eq!(t.observe(&ev(9, "Service", "AWS::ECS::Service", "CREATE_COMPLETE", None)), 1.0);
        t.observe(&stack(10, "CREATE_COMPLETE", None));
        assert_eq!(t.outcome("CREATE_COMPLETE").0, Outcome::Succeeded);
        assert!(t.root_failure().is_none());
    }

    #[test]
    fn a_failed_create_names_the_resource_and_reports_the_rollback() {
        let mut t = Tracker::new(Operation::Create, "gw", 4);
        t.observe(&stack(0, "CREATE_IN_PROGRESS", Some("User Initiated")));
        t.observe(&ev(1, "TaskDefinition", "AWS::ECS::TaskDefinition", "CREATE_COMPLETE", None));
        // CloudFormation can report the cancelled siblings before the cause.
        t.observe(&ev(2, "Database", "AWS::RDS::DBInstance", "CREATE_FAILED", Some("Resource creation cancelled")));
        t.observe(&ev(
            3,
            "Service",
            "AWS::ECS::Service",
            "CREATE_FAILED",
            Some("Resource handler returned message: \"Error occurred during operation 'ECS Deployment Circuit Breaker was triggered'.\""),
        ));
        t.observe(&stack(
            4,
            "ROLLBACK_IN_PROGRESS",
            Some("The following resource(s) failed to create: [Database, Service]."),
        ));
        let p = t.observe(&ev(5, "TaskDefinition", "AWS::ECS::TaskDefinition", "DELETE_COMPLETE", None));
        assert_eq!(p, 0.25, "deletes during a rollback are not creation progress");
        t.observe(&stack(6, "ROLLBACK_COMPLETE", None));
        let root = t.root_failure().unwrap();
        assert_eq!((root.logical_id.as_str(), root.status.as_str()), ("Service", "CREATE_FAILED"));
        assert!(root.reason.contains("Circuit Breaker"));
        assert_eq!(t.failures().len(), 2);
        let (outcome, message) = t.outcome("ROLLBACK_COMPLETE");
        assert_eq!(outcome, Outcome::RolledBack);
        assert!(message.contains("rolled back") && message.contains("Service (AWS::ECS::Service)"), "{message}");
        assert_eq!(t.outcome("ROLLBACK_FAILED").0, Outcome::Failed);
    }

    #[test]
    fn update_and_delete() {
        let mut t = Tracker::new(Operation::Update, "gw", 2);
        t.observe(&stack(0, "UPDATE_COMPLETE", None));
        assert!(!t.started(), "an older settled status does not start the update");
        t.observe(&stack(1, "UPDATE_IN_PROGRESS", Some("User Initiated")));
        t.observe(&ev(2, "Service", "AWS::ECS::Service", "UPDATE_COMPLETE", None));
        t.observe(&ev(3, "NewThing", "AWS::X::Y", "CREATE_COMPLETE", None));
        assert_eq!(t.progress(), 1.0);
        t.observe(&stack(4, "UPDATE_COMPLETE_CLEANUP_IN_PROGRESS", None));
        assert!(!is_terminal("UPDATE_COMPLETE_CLEANUP_IN_PROGRESS") && is_terminal("UPDATE_COMPLETE"));
        assert_eq!(t.outcome("UPDATE_COMPLETE").0, Outcome::Succeeded);
        assert_eq!(t.outcome("UPDATE_ROLLBACK_COMPLETE").0, Outcome::RolledBack);

        let mut d = Tracker::new(Operation::Delete, "gw", 3);
        d.observe(&stack(0, "DELETE_IN_PROGRESS", Some("User Initiated")));
        d.observe(&ev(1, "A", "AWS::X::Y", "DELETE_COMPLETE", None));
        d.observe(&ev(2, "B", "AWS::X::Y", "DELETE_SKIPPED", None));
        assert!((d.progress() - 2.0 / 3.0).abs() < 1e-9);
        d.observe(&ev(3, "C", "AWS::EC2::VPC", "DELETE_FAILED", Some("has dependencies and cannot be deleted")));
        let (outcome, message) = d.outcome("DELETE_FAILED");
        assert_eq!(outcome, Outcome::Failed);
        assert!(message.contains("DELETE_FAILED") && message.contains("has dependencies"), "{message}");
        assert_eq!(d.outcome("DELETE_COMPLETE").0, Outcome::Deleted);
    }

    #[test]
    fn stream_items_serialize_with_a_type() {
        let item = Progress::Event { event: stack(1, "CREATE_IN_PROGRESS", None), progress: 0.5 };
        let v = serde_json::to_value(&item).unwrap();
        assert_eq!(v["type"], "event");
        assert_eq!(v["logical_id"], "gw");
        assert_eq!(v["progress"], 0.5);
        let back: Progress = serde_json::from_value(v).unwrap();
        assert_eq!(back, item);
        let m = serde_json::to_value(Progress::Message { text: "hi".into() }).unwrap();
        assert_eq!(m, serde_json::json!({"type": "message", "text": "hi"}));
    }
}
