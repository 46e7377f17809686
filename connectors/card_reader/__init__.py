"""The development card lab: a PIV card emulator behind the vsmartcard virtual reader
(pcscd + vpcd), and personalisation of development cards (SoftHSM2 tokens and the
emulator's card) with certificates from the provider's ID-card CA. Development and
tests only; citizens use real cards."""
