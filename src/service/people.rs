//! Agents as the service sees them: accounts (added by an admin), login and logout (sessions),
//! online status, and the console's view of a conversation (everything, notes included).

use super::Switchboard;
use super::messages::Transcript;
use crate::agents::{self, AgentError, AgentProfile, NewAgent};
use crate::config::CannedReply;
use crate::error::ServiceError;

const MS_PER_HOUR: u64 = 3_600_000;

impl Switchboard {
    /// Adds an account (argon2 hashing runs on the CPU gate).
    pub async fn add_agent(&self, new: NewAgent) -> Result<AgentProfile, ServiceError> {
        // An agent of a tenant that does not exist could never see a conversation.
        self.tenants.get(&new.tenant).await?;
        let record = self.cpu.run(move || agents::prepare(new)).await??;
        Ok(self.desk.agents.add(record).await?)
    }

    /// Checks the password and starts a session; the agent is online from now on.
    pub async fn login(
        &self,
        username: &str,
        password: &str,
    ) -> Result<(AgentProfile, String), ServiceError> {
        self.desk.check_login_allowed(username)?;
        let record = self.desk.agents.record(username).await?;
        let given = password.to_string();
        let verified = self
            .cpu
            .run(move || agents::check_password(record, &given))
            .await?;
        self.desk.record_login(username, verified.is_ok());
        let profile = verified?;
        let ttl = self.desk.console.session_hours.saturating_mul(MS_PER_HOUR);
        let token = self
            .desk
            .agents
            .start_session(&profile.username, ttl)
            .await?;
        self.set_online(&profile, true).await?;
        Ok((profile, token))
    }

    /// The agent a session token belongs to.
    pub async fn authenticate(&self, token: Option<&str>) -> Result<AgentProfile, ServiceError> {
        let token = token.ok_or(AgentError::NotLoggedIn)?;
        Ok(self.desk.agents.session(token).await?)
    }

    /// Ends the session; the agent goes offline.
    pub async fn logout(&self, token: Option<&str>) -> Result<(), ServiceError> {
        let agent = self.authenticate(token).await?;
        if let Some(token) = token {
            self.desk.agents.end_session(token).await?;
        }
        self.set_online(&agent, false).await
    }

    /// Marks the agent online or offline; coming online may bring assignments.
    pub async fn set_online(&self, agent: &AgentProfile, online: bool) -> Result<(), ServiceError> {
        self.desk
            .set_online(&agent.tenant, &agent.username, online)
            .await?;
        if online && let Err(error) = self.auto_assign(&agent.tenant).await {
            tracing::warn!(%error, "auto-assignment failed");
        }
        self.publish_queue(&agent.tenant).await;
        Ok(())
    }

    pub fn canned_replies(&self) -> &[CannedReply] {
        &self.desk.console.canned
    }

    /// The whole conversation for the console: header and every event, internal notes included.
    pub async fn console_transcript(
        &self,
        agent: &AgentProfile,
        id: &str,
    ) -> Result<Transcript, ServiceError> {
        let ticket = self.own_ticket(agent, id).await?;
        Ok(Transcript {
            events: self.store.events_after(ticket.id, None).await?,
            ticket,
        })
    }
}
