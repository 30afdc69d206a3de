//! The `vm-type` setting: the machine driver Lima (or Colima) boots the VM with.

use std::fmt;

use clap::ValueEnum;

/// Lima's VM drivers (`limactl create --vm-type`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum VmType {
    /// Apple's Virtualization.framework (macOS).
    Vz,
    Qemu,
    Krunkit,
    /// Windows Subsystem for Linux.
    Wsl2,
}

impl VmType {
    /// The name as Lima and users write it.
    pub fn name(self) -> &'static str {
        match self {
            VmType::Vz => "vz",
            VmType::Qemu => "qemu",
            VmType::Krunkit => "krunkit",
            VmType::Wsl2 => "wsl2",
        }
    }
}

impl fmt::Display for VmType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_vm_type_has_one_name() {
        for vm_type in VmType::value_variants() {
            let clap = vm_type.to_possible_value().expect("no hidden vm type");
            assert_eq!(clap.get_name(), vm_type.name());
        }
    }
}
