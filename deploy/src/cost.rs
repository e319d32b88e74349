//! Rough monthly cost of a deployment, from a small table of on-demand list prices. These are
//! estimates to compare choices in the form, not a quote: they leave out data transfer, load
//! balancer capacity units beyond one, log ingestion, and what Bedrock charges for the models.

use serde::Serialize;

use crate::request::{CpuArchitecture, DeployRequest, Network};

/// Where the figures come from.
pub const PRICES_BASIS: &str =
    "AWS on-demand list prices for us-east-1 as published in 2025 (estimates; see aws.amazon.com/pricing)";
pub const PRICES_REGION: &str = "us-east-1";
pub const HOURS_PER_MONTH: f64 = 730.0;

/// Fargate Linux, per vCPU-hour and per GB-hour.
const FARGATE_X86: (f64, f64) = (0.04048, 0.004445);
const FARGATE_ARM: (f64, f64) = (0.03238, 0.00356);
/// Application Load Balancer hour, plus one LCU-hour (light traffic).
const ALB_HOUR: f64 = 0.0225;
const ALB_LCU_HOUR: f64 = 0.008;
/// NAT gateway hour (data processed, $0.045/GB, is extra).
const NAT_HOUR: f64 = 0.045;
/// Each public IPv4 address (the ALB has one per AZ; the NAT gateway one).
const PUBLIC_IPV4_HOUR: f64 = 0.005;
/// RDS for PostgreSQL, single-AZ, per hour; gp3 storage per GB-month.
const RDS_HOURLY: &[(&str, f64)] = &[
    ("db.t4g.micro", 0.016),
    ("db.t4g.small", 0.032),
    ("db.t4g.medium", 0.065),
    ("db.t3.micro", 0.018),
    ("db.t3.small", 0.036),
    ("db.t3.medium", 0.072),
];
const RDS_STORAGE_GB: f64 = 20.0;
const RDS_GP3_GB_MONTH: f64 = 0.115;
/// ElastiCache for Redis, per node-hour.
const CACHE_HOURLY: &[(&str, f64)] =
    &[("cache.t4g.micro", 0.016), ("cache.t4g.small", 0.032), ("cache.t4g.medium", 0.065), ("cache.t3.micro", 0.017)];
/// Secrets Manager, per secret-month.
const SECRET_MONTH: f64 = 0.40;

#[derive(Debug, Clone, Serialize, PartialEq, utoipa::ToSchema)]
pub struct CostLine {
    pub item: String,
    pub detail: String,
    /// `None` when the table has no price for the chosen size.
    pub monthly_usd: Option<f64>,
}

#[derive(Debug, Clone, Serialize, PartialEq, utoipa::ToSchema)]
pub struct CostEstimate {
    pub lines: Vec<CostLine>,
    /// The sum of the lines that have a price.
    pub total_monthly_usd: f64,
    pub basis: String,
    /// Set when the deploy region is not the one the table is for.
    pub region_note: Option<String>,
    pub excludes: String,
}

fn round(x: f64) -> f64 {
    (x * 100.0).round() / 100.0
}

pub fn estimate(req: &DeployRequest) -> CostEstimate {
    let mut lines = Vec::new();
    let mut line = |item: &str, detail: String, monthly: Option<f64>| {
        lines.push(CostLine { item: item.into(), detail, monthly_usd: monthly.map(round) });
    };
    let (vcpu_price, gb_price) = match req.cpu_architecture {
        CpuArchitecture::X86_64 => FARGATE_X86,
        CpuArchitecture::Arm64 => FARGATE_ARM,
    };
    let vcpu = f64::from(req.cpu) / 1024.0;
    let gb = f64::from(req.memory) / 1024.0;
    let tasks = f64::from(req.desired_count);
    line(
        "Fargate tasks",
        format!("{} × {vcpu} vCPU, {gb} GB ({})", req.desired_count, req.cpu_architecture.as_str()),
        Some(tasks * HOURS_PER_MONTH * (vcpu * vcpu_price + gb * gb_price)),
    );
    line(
        "Application Load Balancer",
        "1 ALB, ~1 LCU, 2 public IPv4 addresses".into(),
        Some(HOURS_PER_MONTH * (ALB_HOUR + ALB_LCU_HOUR + 2.0 * PUBLIC_IPV4_HOUR)),
    );
    if matches!(req.network, Network::New { .. }) {
        line(
            "NAT gateway",
            "1 NAT gateway with its public IPv4 address (+ $0.045/GB processed)".into(),
            Some(HOURS_PER_MONTH * (NAT_HOUR + PUBLIC_IPV4_HOUR)),
        );
    }
    if req.enable_rds {
        let hourly = RDS_HOURLY.iter().find(|(c, _)| *c == req.db_instance_class).map(|(_, p)| *p);
        line(
            "RDS PostgreSQL",
            format!("{}, single-AZ, {RDS_STORAGE_GB} GB gp3", req.db_instance_class),
            hourly.map(|h| HOURS_PER_MONTH * h + RDS_STORAGE_GB * RDS_GP3_GB_MONTH),
        );
    }
    if req.enable_redis {
        let hourly = CACHE_HOURLY.iter().find(|(c, _)| *c == req.cache_node_type).map(|(_, p)| *p);
        line("ElastiCache Redis", format!("1 × {}", req.cache_node_type), hourly.map(|h| HOURS_PER_MONTH * h));
    }
    let generated = req.master_key_secret_arn.as_deref().is_none_or(str::is_empty);
    let secrets = if generated { 2 } else { 0 } + if req.enable_rds { 2 } else { 0 };
    if secrets > 0 {
        line("Secrets Manager", format!("{secrets} secrets"), Some(f64::from(secrets) * SECRET_MONTH));
    }
    let total = round(lines.iter().filter_map(|l| l.monthly_usd).sum());
    CostEstimate {
        lines,
        total_monthly_usd: total,
        basis: PRICES_BASIS.into(),
        region_note: (!req.region.is_empty() && req.region != PRICES_REGION)
            .then(|| format!("prices are for {PRICES_REGION}; {} may differ (often by 5-30%)", req.region)),
        excludes: "data transfer, NAT data processing, ALB capacity beyond 1 LCU, CloudWatch Logs ingestion, RDS backups beyond the free allowance, and Bedrock model usage".into(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn form() -> DeployRequest {
        DeployRequest { region: "us-east-1".into(), image_uri: "x/y:1".into(), ..DeployRequest::default() }
    }

    fn line<'a>(e: &'a CostEstimate, item: &str) -> Option<&'a CostLine> {
        e.lines.iter().find(|l| l.item == item)
    }

    #[test]
    fn default_deploy() {
        let e = estimate(&form());
        // 0.5 vCPU and 1 GB for 730 hours on x86.
        assert_eq!(line(&e, "Fargate tasks").unwrap().monthly_usd, Some(18.02));
        assert_eq!(line(&e, "RDS PostgreSQL").unwrap().monthly_usd, Some(13.98));
        assert_eq!(line(&e, "NAT gateway").unwrap().monthly_usd, Some(36.5));
        assert_eq!(line(&e, "Secrets Manager").unwrap().detail, "4 secrets");
        assert!(line(&e, "ElastiCache Redis").is_none());
        let sum: f64 = e.lines.iter().filter_map(|l| l.monthly_usd).sum();
        assert!((e.total_monthly_usd - sum).abs() < 0.011, "{e:?}");
        assert!(e.region_note.is_none());
        assert!(e.basis.contains("us-east-1"));
    }

    #[test]
    fn choices_change_the_estimate() {
        let base = estimate(&form()).total_monthly_usd;
        let arm = estimate(&DeployRequest { cpu_architecture: CpuArchitecture::Arm64, ..form() });
        assert!(arm.total_monthly_usd < base);
        let two = estimate(&DeployRequest { desired_count: 2, ..form() });
        assert!((two.total_monthly_usd - base - 18.02).abs() < 0.011);
        let lean = estimate(&DeployRequest {
            enable_rds: false,
            master_key_secret_arn: Some("arn:aws:secretsmanager:us-east-1:123456789012:secret:k".into()),
            ..form()
        });
        assert!(line(&lean, "RDS PostgreSQL").is_none() && line(&lean, "Secrets Manager").is_none());
        let redis = estimate(&DeployRequest { enable_redis: true, ..form() });
        assert_eq!(line(&redis, "ElastiCache Redis").unwrap().monthly_usd, Some(11.68));
        let unknown = estimate(&DeployRequest { db_instance_class: "db.r7g.large".into(), ..form() });
        assert_eq!(line(&unknown, "RDS PostgreSQL").unwrap().monthly_usd, None);
        assert!(unknown.total_monthly_usd < base, "an unknown price is left out of the total");
        let eu = estimate(&DeployRequest { region: "eu-west-1".into(), ..form() });
        assert!(eu.region_note.unwrap().contains("eu-west-1"));
    }
}
