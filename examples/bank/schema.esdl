// The bank of the example handlers (examples/README.md): accounts that hold one currency,
// deposits, withdrawals and transfers. A balance is what an account received minus what it sent.
// Only account_id is a domain id (@): every handler reads an account's events by it, so an
// upload never warns of a domain id its input cannot bind. The counterparty is plain data.

enum Currency { EUR, USD, GBP }

/// An account was opened; its balance starts at zero.
event OpenedAccount {
  @account_id: String
  owner: String
  currency: Currency
}

/// Money left the account: a withdrawal (no recipient) or a transfer to recipient_id.
event SentFunds {
  @account_id: String
  amount: Float
  recipient_id: String?
}

/// Money came into the account: a deposit (no sender) or a transfer from sender_id.
event ReceivedFunds {
  @account_id: String
  amount: Float
  sender_id: String?
}
