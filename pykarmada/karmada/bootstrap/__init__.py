"""Pull-mode registration: bootstrap tokens, cluster-info discovery with JWS and CA pinning,
agent CSRs and the RBAC objects of the control plane and the member (surfaces.md 4.5-4.7, 5.4,
5.7). Pure builders and checks, shared by karmadactl, the controller process and the tests."""
