def implicit_token_rewards(policy: GRUPolicy, reference: GRUPolicy, tokens: torch.Tensor, beta: float) -> torch.Tensor:
    """beta * log(pi(y_t | y_<t) / pi_ref(y_t | y_<t)) at every position: (N, L), no gradient."""
    out = torch.zeros(tokens.shape)
    for t in range(tokens.shape[1]):
        lp = policy.next_logprobs(tokens[:, :t]) - reference.next_logprobs(tokens[:, :t])
        out[:, t] = beta * lp.gather(1, tokens[:, t:t + 1])[:, 0]
    return out
