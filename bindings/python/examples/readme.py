"""The usage example of microkernel-ultra's README, run on libmk.

The one change: process 2 is added before the message is sent to it,
because libmk refuses messages to a pid that does not exist (the original
silently dropped every message). Run it with the package on PYTHONPATH:

    PYTHONPATH=bindings/python python3 bindings/python/examples/readme.py
"""

from mk import Microkernel

# create a new Microkernel instance
mk = Microkernel()

# create a new process with ID 1
mk.add_process(1)
# ... and process 2, the receiver of the message below
mk.add_process(2)

# allocate 1024 bytes of memory for process ID 1
memory_block = mk.allocate_memory(1024, 1)

# send message "Hello from process 1" from process 1 to process 2
mk.send_message(2, "Hello from process 1")

# receive message from process 2
message = mk.receive_message(2)
print(message)  # "Hello from process 1"

# free memory allocated for process ID 1
mk.free_memory(memory_block["id"], 1)

# mount a file system on the device '/dev/sda1' at the mount point '/mnt'
mk.mount_file_system("/dev/sda1", "/mnt")

# create a file named test.txt
mk.create_file("/mnt/test.txt", 10)

# write data to the file
mk.write_file("/mnt/test.txt", b"Hello, world!")

# read data from the file
data = mk.read_file("/mnt/test.txt")
print("Data read from file:", data.decode())

# delete the file
mk.delete_file("/mnt/test.txt")

# unmount the file system
mk.unmount_file_system("/mnt")

# write data to a block on the device '/dev/sda1'
mk.write_block("/dev/sda1", 1, b"This is a block of data")

# read a block from device '/dev/sda1'
data = mk.read_block("/dev/sda1", 1)
print(data)

# flush the buffer
mk.flush_buffer()

# evict a block from the cache
mk.evict_cache()
